"""The compiled keyword matchers give exactly what one keyword_hit per keyword gave.

``reference_*`` below are the straightforward loops that booking.keywords used before the
keywords were compiled into one :class:`booking.text.KeywordIndex` per set; every public
matcher is compared with them on random texts built from the keywords themselves (so hits,
near misses, compounds and phrases are frequent) and on every description of the corpus.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

from booking_helpers import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from booking import accounts, keywords, rates, vat
from booking.chart import Account, AccountKind, starter_chart
from booking.keywords import RULES, KeywordRule, RuleMatch
from booking.text import KeywordIndex, keyword_hit, normalise

KEYWORD_SETS: dict[str, tuple[str, ...]] = {
    "rules": tuple(kw for rule in RULES for kw in rule.keywords),
    "not_capital": keywords.NOT_CAPITAL,
    "service": keywords.SERVICE_WORDS,
    "goods": keywords.GOODS_WORDS,
    "accessory": keywords.ACCESSORY,
    "vehicle": keywords._VEHICLE,
    "lodging": accounts._LODGING,
    "utility": accounts._UTILITY,
    "spirits": accounts._SPIRITS,
    "rate_lodging": rates._LODGING,
    "pesticides": rates._PESTICIDES,
    "rc": vat.RC_MENTIONS,
    "ic_goods": vat._IC_GOODS_MENTIONS,
    "et14000": vat._ET14000,
}
ALL_KEYWORDS = sorted({kw for kws in KEYWORD_SETS.values() for kw in kws})
PIECES = sorted(
    {piece for kw in ALL_KEYWORDS for piece in kw.lstrip("=").split()}
    | {"1-ABC-123", "2abc345", "Pièce", "Straße", "naïve", "l'été", "B.V.", "(+2 more)"}
)
KINDS = (
    frozenset({AccountKind.EXPENSE, AccountKind.ASSET}),
    frozenset({AccountKind.REVENUE}),
)


def reference_words(text: str) -> tuple[tuple[str, ...], str]:
    joined = normalise(text)
    return tuple(joined.split()), joined


def reference_mentions(text: str, kws: Iterable[str]) -> str | None:
    words, joined = reference_words(text)
    for kw in kws:
        if keyword_hit(kw, words, joined):
            return kw.lstrip("=")
    return None


def reference_match_rules(text: str, rules: Iterable[KeywordRule] = RULES) -> RuleMatch | None:
    words, joined = reference_words(text)
    best: tuple[int, KeywordRule, str] | None = None
    best_plain: tuple[int, KeywordRule, str] | None = None
    for rule in rules:
        for kw in rule.keywords:
            if keyword_hit(kw, words, joined):
                size = len(kw.lstrip("="))
                if best is None or size > best[0]:
                    best = (size, rule, kw.lstrip("="))
                if rule.asset_account is None and (best_plain is None or size > best_plain[0]):
                    best_plain = (size, rule, kw.lstrip("="))
    if best is None:
        return None
    if best[1].asset_account is not None and best_plain is not None:
        best = best_plain
    _, rule, kw = best
    account = rule.account
    if rule.vehicle_account and reference_mentions_vehicle(text):
        account = rule.vehicle_account
    return RuleMatch(account, rule.label, kw, rule.asset_account, goods=rule.goods)


def reference_mentions_vehicle(text: str) -> str | None:
    plate = keywords._PLATE.search(text.upper())
    if plate:
        return plate.group(0)
    return reference_mentions(text, keywords._VEHICLE)


def reference_match_names(
    text: str, chart: Iterable[Account], *, kinds: frozenset[str]
) -> RuleMatch | None:
    words, joined = reference_words(text)
    best: tuple[int, Account, str] | None = None
    for account in chart:
        if account.kind not in kinds:
            continue
        for kw in keywords._name_keywords(account):
            if keyword_hit(kw, words, joined) and (best is None or len(kw) > best[0]):
                best = (len(kw), account, kw)
    if best is None:
        return None
    _, account, kw = best
    return RuleMatch(account.number, f"account name {account.name_nl}", kw, None, weak=True)


def assert_same(text: str) -> None:
    words, joined = reference_words(text)
    for name, kws in KEYWORD_SETS.items():
        expected = [i for i, kw in enumerate(kws) if keyword_hit(kw, words, joined)]
        assert KeywordIndex(kws).hits(words, joined) == expected, (name, text)
        assert keywords.mentions(text, kws) == reference_mentions(text, kws), (name, text)
        assert keywords.mentions(text, list(kws)) == reference_mentions(text, kws), (name, text)
    assert keywords.match_rules(text) == reference_match_rules(text), text
    shuffled = RULES[::-1]
    assert keywords.match_rules(text, shuffled) == reference_match_rules(text, shuffled), text
    assert keywords.mentions_vehicle(text) == reference_mentions_vehicle(text), text
    assert keywords.is_accessory(text) == reference_mentions(text, keywords.ACCESSORY), text
    chart = starter_chart()
    for kinds in KINDS:
        got = keywords.match_names(text, chart, kinds=kinds)
        assert got == reference_match_names(text, chart, kinds=kinds), (kinds, text)
        got = keywords.match_names(text, list(chart)[::-1], kinds=kinds)
        assert got == reference_match_names(text, list(chart)[::-1], kinds=kinds), (kinds, text)


glue = st.sampled_from(["", " ", "  ", "-", ", ", "/", "\n", "é", "s", "en", "x"])
piece = st.one_of(
    st.sampled_from(PIECES),
    st.sampled_from(PIECES).map(str.upper),
    st.sampled_from(PIECES).map(str.title),
    st.text(alphabet="abcdeilnorstuÉéàü0123 -.'", max_size=8),
)
texts = st.lists(st.tuples(piece, glue), max_size=8).map(
    lambda parts: "".join(p + g for p, g in parts)
)


@settings(max_examples=600, deadline=None)
@given(texts)
def test_compiled_matchers_equal_one_keyword_hit_per_keyword(text: str) -> None:
    assert_same(text)


short = st.text(alphabet="abe", min_size=1, max_size=5)
keyword = st.one_of(
    st.sampled_from(ALL_KEYWORDS),
    short,
    short.map(lambda kw: "=" + kw),
    st.lists(short, min_size=2, max_size=3).map(" ".join),
    st.text(alphabet="abe =", max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(keyword, max_size=12),
    st.lists(st.one_of(st.text(alphabet="abe", max_size=6), st.sampled_from(PIECES)), max_size=8),
)
def test_any_keyword_set_gives_the_keyword_hit_positions(
    kws: list[str], text_words: list[str]
) -> None:
    joined = normalise(" ".join(text_words))
    words = tuple(joined.split())
    expected = [i for i, kw in enumerate(kws) if keyword_hit(kw, words, joined)]
    index = KeywordIndex(kws)
    assert index.hits(words, joined) == expected
    assert index.first(words, joined) == (expected[0] if expected else None)


def _corpus_texts() -> list[str]:
    out: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and key in {
                    "description", "supplier_name", "customer_name", "notes", "note",
                    "exemption_reason", "name",
                }:  # fmt: skip
                    out.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in [CORPUS / "booking" / "cases.json", *CORPUS.glob("*/*.expected.json")]:
        walk(json.loads(path.read_text(encoding="utf-8")))
    out.update(kw.lstrip("=") for kw in ALL_KEYWORDS)
    return sorted(out)


def test_compiled_matchers_on_every_corpus_description() -> None:
    texts_ = _corpus_texts()
    assert len(texts_) > 200
    for text in texts_:
        assert_same(text)


def reference_normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", plain))


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(max_size=60), texts))
def test_normalise_equals_the_character_filter(text: str) -> None:
    assert normalise(text) == reference_normalise(text)


def test_match_names_with_one_chart_object_for_many_texts() -> None:
    chart = starter_chart()
    for text in _corpus_texts():
        for kinds in (KINDS[0], KINDS[0], KINDS[1], KINDS[1]):  # same object, then another
            got = keywords.match_names(text, chart, kinds=kinds)
            assert got == reference_match_names(text, chart, kinds=kinds), (kinds, text)
