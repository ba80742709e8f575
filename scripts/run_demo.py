#!/usr/bin/env python3
"""`make run`: initialise the demo, say how to use it, then start all services.

1. ``boekbox init --demo`` creates ./var/boekbox.db (or the configured
   database), a demo dossier and a demo login, and prints them.
2. This script prints the UI address, the SMTP address, the demo dossier's
   mail address and a one-line command that mails it a sample invoice.
3. It replaces itself with ``boekbox up`` (SMTP + worker + UI; Ctrl-C stops all),
   unless given ``--no-up``.

Standard library only; run with the project's virtualenv Python.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def boekbox_executable() -> str:
    local = Path(sys.executable).parent / "boekbox"
    if local.exists():
        return str(local)
    found = shutil.which("boekbox")
    if found is None:
        sys.exit("run_demo: the boekbox command is not installed (run `make install`)")
    return found


def init_demo(boekbox: str) -> str:
    """Run ``boekbox init --demo``, echo its output, return the demo address."""
    result = subprocess.run(
        [boekbox, "init", "--demo"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 2 and "--force" in result.stderr:
        # a database with real dossiers: the database is upgraded, no demo login is added
        sys.stderr.write("run_demo: starting without a demo login (log in with your own)\n")
        return ""
    if result.returncode != 0:
        sys.exit(result.returncode)
    domain = os.environ.get("BOEKBOX_MAIL_DOMAIN", "dossiers.boekbox.localhost")
    addresses = ADDRESS.findall(result.stdout)
    in_domain = [a for a in addresses if a.lower().endswith("@" + domain.lower())]
    chosen = in_domain or addresses
    return chosen[0] if chosen else ""


def banner(address: str) -> str:
    ui = f"http://{os.environ.get('BOEKBOX_UI_HOST', '127.0.0.1')}:"
    ui += os.environ.get("BOEKBOX_UI_PORT", "8501")
    smtp = f"{os.environ.get('BOEKBOX_SMTP_HOST', '127.0.0.1')}:"
    smtp += os.environ.get("BOEKBOX_SMTP_PORT", "2525")
    python = os.path.relpath(sys.executable, ROOT) if sys.prefix != sys.base_prefix else "python3"
    command = f"{python} scripts/send_sample.py {shlex.quote(address or 'ADDRESS')}"
    return "\n".join(
        [
            "",
            "boekbox is starting (Ctrl-C stops everything):",
            f"  review UI     {ui}  (log in with the demo login printed above)",
            f"  SMTP          {smtp}",
            f"  demo dossier  {address or '(see the output of boekbox init above)'}",
            "  mail a sample invoice to it, from another terminal in this folder:",
            f"      {command}",
            "",
        ]
    )


def main(argv: list[str]) -> None:
    os.chdir(ROOT)
    boekbox = boekbox_executable()
    address = init_demo(boekbox)
    print(banner(address), flush=True)
    if "--no-up" in argv:  # tests: stop after the banner
        return
    os.execv(boekbox, [boekbox, "up"])  # replace this process on purpose


if __name__ == "__main__":
    main(sys.argv[1:])
