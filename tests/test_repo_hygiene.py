"""The README, the CLI, the settings, CI and the compose file must not drift apart."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = ROOT / ".ci" / "run"
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
BOEKBOX_CALL = re.compile(r"\bboekbox((?: [a-z][a-z0-9-]*)+)")
TABLE_ROW = re.compile(r"^\| `(BOEKBOX_[A-Z0-9_]+)` \| ([^|]*) \|", re.M)


def readme_code() -> list[str]:
    """Every fenced block and every inline code span of the README."""
    blocks = FENCE.findall(README)
    prose = FENCE.sub("", README)
    return blocks + CODE_SPAN.findall(prose)


# --------------------------------------------------------------------------- README


def test_readme_starts_with_exactly_the_two_setup_commands() -> None:
    lines = README.splitlines()
    assert lines[0].startswith("# "), "README starts with its title"
    body = "\n".join(lines[1:]).lstrip("\n")
    first = FENCE.match(body)
    assert first is not None, "the first thing after the title is a code block"
    block = [line for line in first.group(1).splitlines() if line.strip()]
    commands = [line.split("#", 1)[0].strip() for line in block]
    assert commands == ["make run", "make test"]
    for line in block:
        explanation = line.split("#", 1)[1].strip() if "#" in line else ""
        assert len(explanation.split()) >= 4, f"one-line explanation missing: {line!r}"


def test_readme_documents_every_setting_once() -> None:
    names = [name for name, _ in TABLE_ROW.findall(README)]
    assert names, "configuration table not found"
    assert len(names) == len(set(names)), "a variable is listed twice"
    assert "BOEKBOX_DATABASE_URL" in names


# --------------------------------------------------------------------------- CLI


def _cli_tree() -> dict[str, set[str]]:
    """Top-level command -> its subcommands (empty for plain commands)."""
    cli = pytest.importorskip("pipeline.cli")
    main: Any = cli.main
    commands = getattr(main, "commands", None)
    if isinstance(commands, dict):  # a click group
        return {
            name: set(getattr(command, "commands", {}) or {}) for name, command in commands.items()
        }
    return _cli_tree_from_help()


def _help_commands(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import main; main()", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    section = re.split(
        r"^(?:Commands|positional arguments|subcommands):?\s*$", result.stdout, 1, re.M | re.I
    )
    if len(section) < 2:
        return set()
    return set(re.findall(r"^\s{2,}([a-z][a-z0-9-]*)\b", section[1], re.M))


def _cli_tree_from_help() -> dict[str, set[str]]:
    return {name: _help_commands(name) for name in _help_commands()}


def readme_cli_calls() -> set[tuple[str, ...]]:
    calls = set()
    for code in readme_code():
        for match in BOEKBOX_CALL.finditer(code):
            calls.add(tuple(match.group(1).split()))
    return calls


def test_readme_mentions_the_issue_commands() -> None:
    firsts = {call[0] for call in readme_cli_calls()}
    expected = {"init", "dossier", "up", "smtp", "worker", "ui", "ingest", "extract"}
    expected |= {"reprocess", "quota", "documents"}
    assert expected <= firsts


def test_every_boekbox_command_in_readme_exists() -> None:
    tree = _cli_tree()
    for call in sorted(readme_cli_calls()):
        name = call[0]
        assert name in tree, f"README mentions `boekbox {name}`, which `boekbox --help` lacks"
        if tree[name] and len(call) > 1:
            assert call[1] in tree[name], f"README mentions `boekbox {' '.join(call[:2])}`"


def test_every_cli_command_is_documented_in_readme() -> None:
    tree = _cli_tree()
    documented = readme_cli_calls()
    for name, subcommands in sorted(tree.items()):
        assert any(call[0] == name for call in documented), f"`boekbox {name}` not in README"
        for sub in sorted(subcommands):
            assert (name, sub) in {call[:2] for call in documented}, (
                f"`boekbox {name} {sub}` not in README"
            )


# --------------------------------------------------------------------------- settings


def _rendered_default(value: object) -> str:
    if value is None or value == "":  # an empty string setting is documented as unset
        return "unset"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _settings_defaults() -> dict[str, str]:
    settings = pytest.importorskip("pipeline.settings")
    return {
        f"BOEKBOX_{field.name.upper()}": _rendered_default(field.default)
        for field in dataclasses.fields(settings.Settings)
    }


def test_configuration_table_matches_the_settings() -> None:
    expected = _settings_defaults()
    table = {name: default.strip().strip("`") for name, default in TABLE_ROW.findall(README)}
    assert sorted(table) == sorted(expected), "README table and Settings list other variables"
    for name, default in expected.items():
        assert table[name] == default, f"{name}: README says {table[name]!r}, code {default!r}"


@pytest.mark.parametrize("filename", ["docker-compose.yml", "Dockerfile"])
def test_container_files_only_set_known_settings(filename: str) -> None:
    known = set(_settings_defaults())
    used = set(re.findall(r"\bBOEKBOX_[A-Z0-9_]+", (ROOT / filename).read_text()))
    assert used, f"{filename} sets no BOEKBOX_ variable"
    assert used <= known, f"unknown settings in {filename}: {sorted(used - known)}"


# --------------------------------------------------------------------------- CI and make


def _makefile_list(variable: str) -> set[str]:
    match = re.search(rf"^{variable} :=((?:.*\\\n)*.*)$", MAKEFILE, re.M)
    assert match is not None, f"{variable} not in Makefile"
    words = set(match.group(1).replace("\\\n", " ").split())
    expanded: set[str] = set()
    for word in words:
        ref = re.fullmatch(r"\$\((\w+)\)", word)
        expanded |= _makefile_list(ref.group(1)) if ref else {word}
    return expanded


def test_ci_run_ends_with_make_test() -> None:
    text = CI_RUN.read_text()
    assert text.startswith(("#!/usr/bin/env bash\n", "#!/bin/bash\n"))
    assert "set -euo pipefail" in text
    commands = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make test"
    assert os.access(CI_RUN, os.X_OK), ".ci/run is not executable"
    assert text.index("apt-get update") < text.index("apt-get install")


def test_ci_installs_every_package_make_test_needs() -> None:
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", CI_RUN.read_text()))
    missing = _makefile_list("TEST_PACKAGES") - installed
    assert not missing, f".ci/run does not install {sorted(missing)}"


@pytest.mark.parametrize("target", ["run", "test", "install", "lint", "typecheck", "clean"])
def test_makefile_has_target(target: str) -> None:
    assert re.search(rf"^{target}:", MAKEFILE, re.M), f"make {target} missing"


def test_test_module_names_are_unique() -> None:
    # tests/ folders are not packages: pytest imports test modules by file name, and two
    # modules with one name in different folders break collection of the whole suite.
    seen: dict[str, Path] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == "conftest.py" or (path.parent / "__init__.py").exists():
            continue
        other = seen.setdefault(path.name, path)
        assert other == path, f"{path.relative_to(ROOT)} and {other.relative_to(ROOT)} clash"


def test_no_test_module_imports_a_conftest() -> None:
    # Several folders have a conftest.py and none is a package, so `from conftest import X`
    # gets whichever conftest pytest loaded last: it passes alone and breaks in the full run
    # (seen: tests/intake/test_smtp_corpus.py importing tests/storage/conftest.py). Put shared
    # helpers in a uniquely named module next to the tests (e.g. tests/intake/smtp_support.py).
    pattern = re.compile(r"^\s*(?:from\s+conftest\s+import|import\s+conftest\b)", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"these import from a conftest module: {offenders}"
