"""Text helpers for keyword rules and history matching (accents folded, lower case)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

__all__ = ["KeywordIndex", "keyword_hit", "normalise", "similarity", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+")
_DIGITS = re.compile(r"^\d+$")
_combining = unicodedata.combining


def normalise(text: str) -> str:
    """Lower case, accents removed, every non-alphanumeric run turned into one space."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    # combining marks are never ASCII: an ASCII text has none to drop
    plain = folded if folded.isascii() else "".join(ch for ch in folded if not _combining(ch))
    return " ".join(_TOKEN.findall(plain))


def tokens(text: str) -> tuple[str, ...]:
    return tuple(normalise(text).split())


def keyword_hit(keyword: str, words: tuple[str, ...], joined: str) -> bool:
    """Whether ``keyword`` occurs in the text (``joined``: the ``words`` joined by single
    spaces, as :func:`normalise` gives them).

    Multi-word keywords match the joined text; a keyword starting with ``=``
    or shorter than 4 letters must be a whole word; longer ones may sit inside
    a Dutch or German compound (``dakherstelling``, ``Marketingkampagne``).
    """
    if " " in keyword:
        return f" {keyword} " in f" {joined} "
    if keyword.startswith("="):
        return keyword[1:] in words
    if len(keyword) < 4:
        return keyword in words
    # inside one word: ``joined`` is the words with single spaces and the keyword has
    # none, so a hit in the joined text is a hit inside one word (one C-level search)
    return keyword in joined


class KeywordIndex:
    """Keywords compiled once: :meth:`hits` gives, in order, the positions of the keywords
    for which :func:`keyword_hit` is true, without calling it per keyword.

    Whole-word keywords (``=word`` and those shorter than 4 letters) are looked up per
    distinct word of the text; phrases and compound-inside keywords keep the substring
    test of :func:`keyword_hit` on the same padded or joined text.
    """

    __slots__ = ("_inside", "_phrase", "_whole", "keywords")

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords: tuple[str, ...] = tuple(keywords)
        whole: dict[str, list[int]] = {}
        inside: list[tuple[int, str]] = []
        phrase: list[tuple[int, str]] = []
        for i, kw in enumerate(self.keywords):
            # the same branches, in the same order, as keyword_hit
            if " " in kw:
                phrase.append((i, f" {kw} "))
            elif kw.startswith("="):
                whole.setdefault(kw[1:], []).append(i)
            elif len(kw) < 4:
                whole.setdefault(kw, []).append(i)
            else:
                inside.append((i, kw))
        self._whole = {word: tuple(at) for word, at in whole.items()}
        self._inside = tuple(inside)
        self._phrase = tuple(phrase)

    def hits(self, words: tuple[str, ...], joined: str) -> list[int]:
        """Positions ``i`` (ascending) with ``keyword_hit(keywords[i], words, joined)``."""
        found = [i for i, kw in self._inside if kw in joined]
        if self._phrase:
            padded = f" {joined} "
            found += [i for i, kw in self._phrase if kw in padded]
        whole = self._whole
        for word in set(words):
            at = whole.get(word)
            if at is not None:
                found += at
        found.sort()
        return found

    def first(self, words: tuple[str, ...], joined: str) -> int | None:
        """The first position with a hit, else None."""
        found = self.hits(words, joined)
        return found[0] if found else None


def _content(words: tuple[str, ...]) -> set[str]:
    return {w for w in words if len(w) > 2 and not _DIGITS.match(w)}


def similarity(a: str, b: str) -> float:
    """0..1: shared content words (prefix-tolerant) blended with a character ratio."""
    wa, wb = _content(tokens(a)), _content(tokens(b))
    if not wa or not wb:
        return 0.0
    shared = 0
    for word in wa:
        if any(word == other or _stem_match(word, other) for other in wb):
            shared += 1
    overlap = shared / min(len(wa), len(wb))
    ratio = SequenceMatcher(None, " ".join(sorted(wa)), " ".join(sorted(wb))).ratio()
    return max(overlap * 0.85 + ratio * 0.15, 0.0)


def _stem_match(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 5 and short in long_
