"""Text helpers shared by the transforms: code protection, paraphrase, names and case styles."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import numpy as np

from agentgym.perturb.banks import phrase_regex, phrase_table

# Fenced blocks and inline code are never rewritten: identifiers must survive every transform.
CODE_RE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOKEN_RE = re.compile(r"\S+")
# A plain prose word with optional surrounding punctuation; anything else (paths, snake_case,
# CamelCase, numbers, ALLCAPS) counts as code-like and is left alone.
PLAIN_WORD_RE = re.compile(r"^([(\"']?)([A-Z]?[a-z]+)([.,;:!?)\"']{0,2})$")


def map_prose(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the parts of ``text`` outside code spans and fences."""
    if "`" not in text:
        return fn(text)
    out: list[str] = []
    pos = 0
    for m in CODE_RE.finditer(text):
        out.append(fn(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fn(text[pos:]))
    return "".join(out)


def match_case(original: str, replacement: str) -> str:
    """Give ``replacement`` the capitalization pattern of ``original``."""
    if not replacement:
        return replacement
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[0].isupper():
        return replacement[0].upper() + replacement[1:]
    return replacement


# Per episode seed, like fastrng's blocks: small, so a long run does not keep hundreds of
# finished episodes' choices (a miss costs ~60 us).
@functools.lru_cache(maxsize=64)
def _phrase_choices(seed: int, rate: float) -> dict[str, str]:
    table = phrase_table()
    rng = np.random.default_rng(seed)
    u = rng.random(len(table))
    pick = rng.integers(0, 1 << 30, len(table))
    return {k: alts[int(pick[i]) % len(alts)] for i, (k, alts) in enumerate(table) if u[i] < rate}


def paraphrase(text: str, seed: int, rate: float) -> str:
    """Swap bank phrases for equivalents. The choice per phrase depends only on ``seed``, so
    a phrase is rephrased the same way in every message of an episode."""
    if rate <= 0 or not text:
        return text
    choices = _phrase_choices(seed, rate)
    regex = phrase_regex()

    def sub(m: re.Match[str]) -> str:
        rep = choices.get(m.group(0).lower())
        return m.group(0) if rep is None else match_case(m.group(0), rep)

    return map_prose(text, lambda s: regex.sub(sub, s))


def sentences(text: str) -> list[str]:
    """Split prose into sentences (keeps the terminator with its sentence)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])", text.strip())
    return [p for p in parts if p]


# --- identifiers ---------------------------------------------------------------------------


def split_words(name: str) -> list[str]:
    """``readFile`` / ``read_file`` / ``Read-File`` -> ``["read", "file"]``."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", s) if t]


CASE_STYLES = ("snake", "camel", "pascal", "kebab", "screaming", "flat")


def to_case(words: list[str], style: str) -> str:
    if not words:
        return ""
    if style == "snake":
        return "_".join(words)
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    if style == "kebab":
        return "-".join(words)
    if style == "screaming":
        return "_".join(words).upper()
    if style == "flat":
        return "".join(words)
    raise ValueError(f"unknown case style {style!r}")


def sanitize_name(name: str) -> str:
    """Force ``name`` into ``^[a-zA-Z0-9_-]{1,64}$``."""
    clean = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64]
    return clean or "tool"


def unique_names(old: Iterable[str], proposed: dict[str, str]) -> dict[str, str]:
    """Final old->new names: valid, unique; a clashing proposal falls back to the old name,
    then to a numbered variant."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in old:
        for cand in (sanitize_name(proposed.get(name, name)), sanitize_name(name)):
            if cand not in used:
                break
        else:
            base = sanitize_name(name)[:60]
            i = 2
            while f"{base}_{i}" in used:
                i += 1
            cand = f"{base}_{i}"
        out[name] = cand
        used.add(cand)
    return out


def typo(word: str, op: int, pos: int, neighbours: dict[str, str]) -> str:
    """One keyboard typo in ``word``: 0 swap, 1 drop, 2 double, 3 neighbour key."""
    n = len(word)
    if n < 3:
        return word
    i = 1 + pos % (n - 2)  # keep the first letter: typos there read as different words
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 1:
        return word[:i] + word[i + 1 :]
    if op == 2:
        return word[: i + 1] + word[i] + word[i + 1 :]
    keys = neighbours.get(word[i].lower(), "")
    if not keys:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    rep = keys[pos % len(keys)]
    return word[:i] + (rep.upper() if word[i].isupper() else rep) + word[i + 1 :]


def rewrite_mentions(text: str, mapping: dict[str, str]) -> str:
    """Rename mentions of renamed tools/arguments in prose, conservatively: an inline code span
    that is exactly an old name, or an old name with ``_``/``-`` standing alone in prose.
    Fenced code is never touched (``re.search`` in a snippet is not the ``search`` tool)."""
    if not mapping or not text:
        return text
    ident = [k for k in mapping if "_" in k or "-" in k]
    rx = (
        re.compile(
            r"(?<![\w-])("
            + "|".join(re.escape(k) for k in sorted(ident, key=len, reverse=True))
            + r")(?![\w-])"
        )
        if ident
        else None
    )
    out: list[str] = []
    pos = 0
    for m in CODE_RE.finditer(text):
        prose = text[pos : m.start()]
        out.append(rx.sub(lambda x: mapping[x.group(1)], prose) if rx else prose)
        span = m.group(0)
        if not span.startswith("```") and span[1:-1] in mapping:
            span = f"`{mapping[span[1:-1]]}`"
        out.append(span)
        pos = m.end()
    tail = text[pos:]
    out.append(rx.sub(lambda x: mapping[x.group(1)], tail) if rx else tail)
    return "".join(out)
