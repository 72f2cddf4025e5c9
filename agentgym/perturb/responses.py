"""Transforms of tool responses. Params are sampled once per episode; per-response choices come
from a Generator seeded by ``(params["seed"], call_index, ...)`` so replays are exact.

Preserving transforms keep all information: the lossless ones have an exact ``restore``;
truncation states how much it cut. ``response_transient_error`` is special: the env asks it
*before* running a call (see ``EpisodePerturbation.intercept``).
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, ClassVar

import yaml

from agentgym.perturb.banks import bank
from agentgym.perturb.base import ResponseTransform, ToolResponse, derived_rng, seed_param
from agentgym.perturb.fastrng import call_uniforms, derived_random
from agentgym.perturb.registry import register

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Params "version" of the transforms that draw per call: 2 = from per-episode blocks
# (``fastrng.call_uniforms``); records without it (version 1) replay the per-call Generators.
DRAWS_VERSION = 2


def _choose(rng, items):
    return items[int(rng.integers(len(items)))]


def _load_json(text: str) -> Any:
    c = text[:1]
    if c != "{" and c != "[":  # the usual case, decided without copying the text
        if not c.isspace():
            return None
        s = text.lstrip()
        if not s or s[0] not in "{[":
            return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict | list) else None


# --- format ----------------------------------------------------------------------------------

_TABLE_HEAD = "| line | text |\n|---:|---|"


def _esc(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|")


def _unesc(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell)


@register
class ResponseTextToStructured(ResponseTransform):
    name = "response_text_to_structured"
    doc = "Present plain-text output as JSON or as a table (JSON output is left alone)."
    levels: ClassVar = {
        "light": {"mode": "json"},
        "medium": {"mode": "json_lines"},
        "heavy": {"mode": "table"},
    }
    severity_doc: ClassVar = {
        "light": 'wrapped as {"output": text}',
        "medium": 'split into {"lines": [...]}',
        "heavy": "a markdown table with one numbered row per line",
    }

    def apply_text(self, obj, params):
        return _to_structured(params["mode"], obj.text)

    def text_fn(self, params):
        return functools.partial(_to_structured, params["mode"])

    def restore(self, obj, params):
        text, mode = obj.text, params["mode"]
        data = _load_json(text)
        if mode == "json" and isinstance(data, dict) and list(data) == ["output"]:
            return data["output"]
        if mode == "json_lines" and isinstance(data, dict) and list(data) == ["lines"]:
            return "\n".join(data["lines"])
        if mode == "table" and text.startswith(_TABLE_HEAD):
            rows = text[len(_TABLE_HEAD) + 1 :].split("\n")
            return "\n".join(
                _unesc(re.match(r"\| \d+ \| (.*) \|$", r, re.DOTALL).group(1)) for r in rows
            )
        return text


def _to_structured(mode: str, text: str) -> str:
    if _load_json(text) is not None:
        return text
    if mode == "json":
        return json.dumps({"output": text}, ensure_ascii=False)
    lines = text.split("\n")
    if mode == "json_lines":
        return json.dumps({"lines": lines}, ensure_ascii=False, indent=1)
    rows = "\n".join(f"| {i} | {_esc(line)} |" for i, line in enumerate(lines, 1))
    return f"{_TABLE_HEAD}\n{rows}"


_YAML_MARK = "# (JSON shown as YAML)\n"
_JTABLE_MARK = "(JSON array shown as a table; each cell is a JSON value)\n"


@register
class ResponseJsonToText(ResponseTransform):
    name = "response_json_to_text"
    doc = (
        "Present JSON output as reformatted JSON, YAML text, or a table (plain text is left alone)."
    )
    levels: ClassVar = {
        "light": {"mode": "reindent"},
        "medium": {"mode": "yaml"},
        "heavy": {"mode": "table"},
    }
    severity_doc: ClassVar = {
        "light": "JSON re-indented (compact <-> pretty)",
        "medium": "JSON shown as YAML",
        "heavy": "arrays of flat objects as tables, anything else as YAML",
    }

    def apply_text(self, obj, params):
        return _json_to_text(params["mode"], obj.text)

    def text_fn(self, params):
        return functools.partial(_json_to_text, params["mode"])

    def restore(self, obj, params):
        text = obj.text
        if text.startswith(_YAML_MARK):
            return json.dumps(yaml.safe_load(text[len(_YAML_MARK) :]), ensure_ascii=False)
        if text.startswith(_JTABLE_MARK):
            lines = text[len(_JTABLE_MARK) :].split("\n")
            keys = [json.loads(_unesc(c)) for c in _cells(lines[0])]
            rows = []
            for line in lines[2:]:
                rows.append(
                    {
                        k: json.loads(_unesc(c))
                        for k, c in zip(keys, _cells(line), strict=True)
                        if c != ""
                    }
                )
            return json.dumps(rows, ensure_ascii=False)
        return text


def _json_to_text(mode: str, text: str) -> str:
    c = text[:1]
    if c != "{" and c != "[" and not c.isspace():  # not JSON: decided without a call
        return text
    data = _load_json(text)
    if data is None:
        return text
    if mode == "reindent":
        pretty = "\n" in text.strip()
        return (
            json.dumps(data, ensure_ascii=False)
            if pretty
            else json.dumps(data, ensure_ascii=False, indent=2)
        )
    if mode == "table" and _flat_records(data):
        keys = list(dict.fromkeys(k for row in data for k in row))
        head = "| " + " | ".join(_esc(json.dumps(k, ensure_ascii=False)) for k in keys) + " |"
        sep = "|" + "---|" * len(keys)
        rows = [
            "| "
            + " | ".join(
                _esc(json.dumps(row[k], ensure_ascii=False)) if k in row else "" for k in keys
            )
            + " |"
            for row in data
        ]
        return _JTABLE_MARK + "\n".join([head, sep, *rows])
    return _YAML_MARK + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=10**6
    ).rstrip("\n")


def _cells(row: str) -> list[str]:
    inner = row[2:-2]
    return [c for c in re.split(r"(?<!\\) \| ", inner)] if inner else [""]


def _flat_records(data: Any) -> bool:
    return (
        isinstance(data, list)
        and len(data) > 0
        and all(
            isinstance(r, dict) and r and all(not isinstance(v, dict | list) for v in r.values())
            for r in data
        )
    )


# --- line order and decoration ---------------------------------------------------------------

LISTING_RE = re.compile(r"^(?:\./)?[\w.@+-]+(?:/[\w.@+-]+)*/?(?::\d+(?::\d+)?[:-].*|::\S+.*)?$")


def _runs(lines: list[str], min_len: int) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, line in enumerate([*lines, ""]):
        ok = i < len(lines) and bool(line) and bool(LISTING_RE.match(line))
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= min_len:
                runs.append((start, i))
            start = None
    return runs


@register
class ResponseReorderLines(ResponseTransform):
    name = "response_reorder_lines"
    doc = "Reorder independent lines (file listings, grep hits, test ids) within each run."
    levels: ClassVar = {
        "light": {"mode": "swap", "min_run": 3},
        "medium": {"mode": "shuffle", "min_run": 3},
        "heavy": {"mode": "shuffle", "min_run": 2},
    }
    severity_doc: ClassVar = {
        "light": "one neighbouring pair swapped per run of 3+ listing lines",
        "medium": "each run of 3+ listing lines shuffled",
        "heavy": "each run of 2+ listing lines shuffled",
    }

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs}

    def _perms(self, lines, obj, params):
        out = []
        for r, (a, b) in enumerate(_runs(lines, params["min_run"])):
            n = b - a
            if params["mode"] == "swap":
                perm = list(range(n))
                i = int(derived_random(params["seed"], obj.call_index, r, n).integers(n - 1))
                perm[i], perm[i + 1] = perm[i + 1], perm[i]
            else:
                rng = derived_rng(params["seed"], obj.call_index, r, n)
                perm = [int(x) for x in rng.permutation(n)]
            out.append((a, perm))
        return out

    def apply_text(self, obj, params):
        lines = obj.text.split("\n")
        for a, perm in self._perms(lines, obj, params):
            lines[a : a + len(perm)] = [lines[a + j] for j in perm]
        return "\n".join(lines)

    def restore(self, obj, params):
        lines = obj.text.split("\n")
        for a, perm in self._perms(lines, obj, params):
            orig = [""] * len(perm)
            for pos, j in enumerate(perm):
                orig[j] = lines[a + pos]
            lines[a : a + len(perm)] = orig
        return "\n".join(lines)


_RESET = "\x1b[0m"
# The colour rules, applied in this order, each to the text outside the codes added so far. Each
# pattern is one capturing group around the whole match, so ``re.split`` returns the text
# between matches and the matches alternately: colouring is then one C-level split, the
# matches concatenated with their codes and a join, where ``re.sub`` with a ``\g<0>`` template
# runs a Python callback per match (and ``str.format``, or zip and map, cost more on the cold
# per-call path than string concatenation). The number rule starts with ``\d`` (its lookbehind moved after the first
# digit, same matches) so the scan skips non-digits quickly. ``apply_text`` tests, before each
# rule, a substring without which the rule cannot match: a cheap skip, scanning costs more.
_ERROR_RX = re.compile(r"\b(error|Error|ERROR|FAILED|failed|Traceback)\b")
_WARN_RX = re.compile(r"\b(warning|Warning|WARNING|WARN)\b")
_PASS_RX = re.compile(r"\b(PASSED|passed|OK|ok)\b")
_PATH_RX = re.compile(r"(?<![\w/])((?:\./|/)?[\w.-]+/[\w./-]+)")
_NUMBER_RX = re.compile(r"(\d(?<![\w.]\d)\d*(?:\.\d+)?)(?![\w.])")
# (pattern, tier, colour code put before each match; _RESET goes after), in the order
# ``apply_text`` runs them
_COLOR_RULES: list[tuple[re.Pattern[str], int, str]] = [
    (_ERROR_RX, 0, "\x1b[31m"),
    (_WARN_RX, 0, "\x1b[33m"),
    (_PASS_RX, 0, "\x1b[32m"),
    (_PATH_RX, 1, "\x1b[36m"),
    (_NUMBER_RX, 1, "\x1b[35m"),
]
_ERROR_ON, _WARN_ON, _PASS_ON, _PATH_ON, _NUMBER_ON = (on for _, _, on in _COLOR_RULES)
_LINE_ON = "\x1b[1m\x1b[K"
_LINE_SEP = f"{_RESET}\n{_LINE_ON}"  # between two lines, each wrapped in _LINE_ON ... reset
_LINE_EMPTY = _LINE_ON + _RESET  # an empty line, wrapped: unwrapped again


@register
class ResponseAnsiColors(ResponseTransform):
    name = "response_ansi_colors"
    doc = "Add terminal colour codes, as tools that ignore isatty() do (output with codes already is left alone)."
    levels: ClassVar = {
        "light": {"tier": 0, "line_codes": False},
        "medium": {"tier": 1, "line_codes": False},
        "heavy": {"tier": 1, "line_codes": True},
    }
    severity_doc: ClassVar = {
        "light": "error/warning/pass words coloured",
        "medium": "also paths and numbers coloured",
        "heavy": "also bold and erase-line codes on every line",
    }

    def apply_text(self, obj, params):
        return _ansi_colors(params["tier"], params["line_codes"], obj.text)

    def text_fn(self, params):
        return functools.partial(_ansi_colors, params["tier"], params["line_codes"])

    def restore(self, obj, params):
        return ANSI_RE.sub("", obj.text)


def _ansi_colors(top: int, line_codes: bool, text: str) -> str:
    # The rules of _COLOR_RULES written out, each behind its pre-check: this runs on every
    # tool call, and straight-line code is cheaper there than a loop of callbacks.
    if "\x1b" in text:
        return text
    if top >= 0:
        if (
            "rror" in text
            or "RROR" in text
            or "FAILED" in text
            or "failed" in text
            or ("Traceback" in text)
        ):
            text = _color_outside_codes(text, _ERROR_RX, _ERROR_ON)
        if "arning" in text or "ARN" in text:
            text = _color_outside_codes(text, _WARN_RX, _WARN_ON)
        if "PASSED" in text or "passed" in text or "OK" in text or "ok" in text:
            text = _color_outside_codes(text, _PASS_RX, _PASS_ON)
    if top >= 1:
        if "/" in text:
            text = _color_outside_codes(text, _PATH_RX, _PATH_ON)
        if "\x1b" in text:
            text = _color_outside_codes(text, _NUMBER_RX, _NUMBER_ON)
        else:  # nothing coloured yet (the usual case), written out: no call, no comprehension
            parts = _NUMBER_RX.split(text)
            k = len(parts) >> 1  # matches
            if k:  # text, on, match, reset, text, ...: filled by slice assignments
                out = [_NUMBER_ON] * (4 * k + 1)
                out[0::4] = parts[0::2]
                out[2::4] = parts[1::2]
                out[3::4] = [_RESET] * k
                text = "".join(out)
    if line_codes:
        # Every non-empty line wrapped in bold + erase-line ... reset. The input had no
        # escape codes, so "on" directly followed by "reset" only comes from an empty line.
        body = text.replace("\n", _LINE_SEP)
        text = f"{_LINE_ON}{body}{_RESET}".replace(_LINE_EMPTY, "")
    return text


_CODED_RE = re.compile(r"(\x1b\[[0-9;]*m[^\x1b]*\x1b\[0m)")


def _wrap_matches(text: str, rx: re.Pattern[str], on: str) -> str:
    """Each match of the one-group ``rx`` put between ``on`` and ``_RESET``, as ``rx.sub``
    would."""
    parts = rx.split(text)
    if len(parts) == 1:
        return text
    parts[1::2] = [on + p + _RESET for p in parts[1::2]]
    return "".join(parts)


def _color_outside_codes(text: str, rx: re.Pattern[str], on: str) -> str:
    if "\x1b" not in text:  # nothing coloured yet: the split below would give [text]
        parts = rx.split(text)
        if len(parts) == 1:
            return text
        parts[1::2] = [on + p + _RESET for p in parts[1::2]]
        return "".join(parts)
    parts = _CODED_RE.split(text)
    return "".join(p if p.startswith("\x1b") else _wrap_matches(p, rx, on) for p in parts)


@register
class ResponseNoiseLines(ResponseTransform):
    name = "response_noise_lines"
    doc = "Insert harmless warning/notice lines (pip, npm, locale, deprecation warnings)."
    levels: ClassVar = {"light": {"count": 1}, "medium": {"count": 2}, "heavy": {"count": 5}}
    severity_doc: ClassVar = {
        "light": "one noise line",
        "medium": "two noise lines",
        "heavy": "five noise lines",
    }

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs, "version": DRAWS_VERSION}

    def _plan(self, n_orig: int, obj, params) -> list[tuple[int, str]]:
        noise = bank("responses")["noise_lines"]
        plan = []
        if params.get("version", 1) >= 2:
            u, i = call_uniforms(params["seed"], obj.call_index, 3 * params["count"])
            for k in range(params["count"]):
                at, where, which = u[i + 3 * k : i + 3 * k + 3]
                pos = 0 if at < 0.5 else int(where * (n_orig + k + 1))
                plan.append((pos, noise[int(which * len(noise))]))
            return plan
        rng = derived_random(params["seed"], obj.call_index, n_orig)
        for k in range(params["count"]):
            pos = 0 if rng.random() < 0.5 else int(rng.integers(n_orig + k + 1))
            plan.append((pos, noise[int(rng.integers(len(noise)))]))
        return plan

    def apply_text(self, obj, params):
        lines = obj.text.split("\n")
        for pos, line in self._plan(len(lines), obj, params):
            lines.insert(pos, line)
        return "\n".join(lines)

    def restore(self, obj, params):
        lines = obj.text.split("\n")
        for pos, _ in reversed(self._plan(len(lines) - params["count"], obj, params)):
            del lines[pos]
        return "\n".join(lines)


@register
class ResponseLatencyNote(ResponseTransform):
    name = "response_latency_note"
    doc = "Add timing notes ('[finished in 1.42s]') before or after the output."
    levels: ClassVar = {
        "light": {"where": ["end"]},
        "medium": {"where": ["start", "end"]},
        "heavy": {"where": ["both"]},
    }
    severity_doc: ClassVar = {
        "light": "a note after the output",
        "medium": "a note before or after",
        "heavy": "a queue note before and a timing note after",
    }

    def sample_params(self, rng, context):
        notes = bank("responses")["latency_notes"]
        return {
            "seed": seed_param(rng),
            "note": int(rng.integers(len(notes))),
            "where": self.knobs["where"],
            "version": DRAWS_VERSION,
        }

    def _notes(self, obj, params) -> tuple[str, str | None, str | None]:
        if params.get("version", 1) >= 2:
            u, i = call_uniforms(params["seed"], obj.call_index, 3)
            # lognormal(0, 1.2) by Box-Muller from two of the call's uniforms
            normal = math.sqrt(-2.0 * math.log1p(-u[i])) * math.cos(2.0 * math.pi * u[i + 1])
            s = math.exp(1.2 * normal)
            where = params["where"][int(u[i + 2] * len(params["where"]))]
        else:
            rng = derived_rng(params["seed"], obj.call_index)
            s = float(rng.lognormal(0.0, 1.2))
            where = _choose(rng, params["where"])
        note = bank("responses")["latency_notes"][params["note"]].format(s=s, ms=round(s * 1000))
        start = (
            f"[queued {round(s * 137) % 900 + 20} ms]"
            if where == "both"
            else (note if where == "start" else None)
        )
        end = note if where in ("end", "both") else None
        return where, start, end

    def apply_text(self, obj, params):
        _, start, end = self._notes(obj, params)
        text = obj.text
        if start is not None:
            text = f"{start}\n{text}"
        if end is not None:
            text = f"{text}\n{end}"
        return text

    def restore(self, obj, params):
        _, start, end = self._notes(obj, params)
        text = obj.text
        if start is not None:
            text = text[len(start) + 1 :]
        if end is not None:
            text = text[: -(len(end) + 1)]
        return text


@register
class ResponseWrapper(ResponseTransform):
    name = "response_wrapper"
    doc = "Wrap the output in fences, tags or BEGIN/END markers."
    levels: ClassVar = {
        "light": {"choices": [0]},
        "medium": {"choices": [1, 2]},
        "heavy": {"choices": [3, 4, 5], "header": True},
    }
    severity_doc: ClassVar = {
        "light": "a ``` code fence",
        "medium": "<output>/<stdout> tags",
        "heavy": "a labelled block naming the tool",
    }

    def sample_params(self, rng, context):
        return {
            "wrapper": _choose(rng, self.knobs["choices"]),
            "header": self.knobs.get("header", False),
        }

    def _parts(self, obj, params) -> tuple[str, str]:
        pre, post = bank("responses")["wrappers"][params["wrapper"]]
        if params["header"]:
            pre = f"Tool `{obj.tool_name or 'tool'}` returned:\n{pre}"
        return pre, post

    def apply_text(self, obj, params):
        pre, post = self._parts(obj, params)
        return f"{pre}{obj.text}{post}"

    def text_fn(self, params):
        if params["header"]:
            return None  # names the tool
        pre, post = bank("responses")["wrappers"][params["wrapper"]]
        return functools.partial(_wrap, pre, post)

    def restore(self, obj, params):
        pre, post = self._parts(obj, params)
        return obj.text[len(pre) : len(obj.text) - len(post)]


def _wrap(pre: str, post: str, text: str) -> str:
    return f"{pre}{text}{post}"


_NUM_FORMATS = ["{n:>6}\t", "{n}: ", "L{n}| "]
# Per format: the prefixes of lines 1, 2, ..., each after the first with the newline before it.
_NUM_PREFIXES: list[list[str]] = [[] for _ in _NUM_FORMATS]


def _line_prefixes(fmt: int, n: int) -> list[str]:
    """The first ``n`` line prefixes of a format (grown on demand, shared by every call)."""
    out = _NUM_PREFIXES[fmt]
    if len(out) < n:  # a new list, swapped in whole: threads never see a half-grown one
        template = _NUM_FORMATS[fmt]
        more = range(len(out) + 1, max(n, 2 * len(out)) + 1)
        out = _NUM_PREFIXES[fmt] = out + [
            template.format(n=i) if i == 1 else "\n" + template.format(n=i) for i in more
        ]
    return out


def _number_lines(fmt: int, text: str) -> str:
    # Prefixes and lines interleaved by two slice assignments and one join: C-level steps,
    # cheaper on the cold per-call path than a ``map`` of ``str.__add__``.
    lines = text.split("\n")
    n = len(lines)
    prefixes = _NUM_PREFIXES[fmt]
    if len(prefixes) < n:
        prefixes = _line_prefixes(fmt, n)
    out = lines * 2
    out[0::2] = prefixes[:n]
    out[1::2] = lines
    return "".join(out)


@register
class ResponseLineNumbers(ResponseTransform):
    name = "response_line_numbers"
    doc = "Number the output lines (cat -n style and others)."
    levels: ClassVar = {
        "light": {"formats": [0]},
        "medium": {"formats": [1]},
        "heavy": {"formats": [2]},
    }
    severity_doc: ClassVar = {
        "light": "`cat -n` style, right-aligned with a tab",
        "medium": "`N: ` prefixes",
        "heavy": "`LN| ` prefixes",
    }

    def sample_params(self, rng, context):
        return {"format": _choose(rng, self.knobs["formats"])}

    def apply_text(self, obj, params):
        return _number_lines(params["format"], obj.text)

    def text_fn(self, params):
        return functools.partial(_number_lines, params["format"])

    def restore(self, obj, params):
        fmt = _NUM_FORMATS[params["format"]]
        return "\n".join(
            line[len(fmt.format(n=i)) :] for i, line in enumerate(obj.text.split("\n"), 1)
        )


@register
class ResponseTruncate(ResponseTransform):
    name = "response_truncate"
    doc = "Cut long outputs to head and tail lines; the notice states how many lines/characters were cut."
    lossless: ClassVar = False
    levels: ClassVar = {
        "light": {"max_lines": 200, "max_chars": 20000},
        "medium": {"max_lines": 80, "max_chars": 8000},
        "heavy": {"max_lines": 30, "max_chars": 3000},
    }
    severity_doc: ClassVar = {
        "light": "over 200 lines or 20k characters",
        "medium": "over 80 lines or 8k characters",
        "heavy": "over 30 lines or 3k characters",
    }

    def apply_text(self, obj, params):
        return _truncate(params["max_lines"], params["max_chars"], obj.text)

    def text_fn(self, params):
        return functools.partial(_truncate, params["max_lines"], params["max_chars"])


def _truncate(max_lines: int, max_chars: int, text: str) -> str:
    if text.count("\n") >= max_lines:  # more than max_lines lines
        lines = text.split("\n")
        head = max_lines * 2 // 3
        tail = max_lines - head
        cut = len(lines) - head - tail
        notice = (
            f"[... {cut} lines truncated ({head} first and {tail} last of {len(lines)} shown) ...]"
        )
        text = "\n".join([*lines[:head], notice, *lines[len(lines) - tail :]])
    if len(text) > max_chars:
        head = max_chars * 2 // 3
        tail = max_chars - head
        cut = len(text) - head - tail
        text = f"{text[:head]}\n[... {cut} characters truncated ...]\n{text[len(text) - tail :]}"
    return text


@register
class ResponseTransientError(ResponseTransform):
    """Transient failure then success. ``apply`` changes nothing: the env asks
    ``EpisodePerturbation.intercept(call)`` *before* running a call; a selected call is not run
    and gets the notice; the agent's retry of the same call runs for real."""

    name = "response_transient_error"
    doc = "Some calls fail once with a transient error and are not run; retrying the same call succeeds."
    levels: ClassVar = {
        "light": {"rate": 0.05, "max_failures": 1},
        "medium": {"rate": 0.15, "max_failures": 3},
        "heavy": {"rate": 0.3, "max_failures": 0},
    }
    severity_doc: ClassVar = {
        "light": "5% of calls, at most one per episode; the notice says to retry",
        "medium": "15% of calls, at most three; terse error message",
        "heavy": "30% of calls, no limit; bare error codes",
    }

    def sample_params(self, rng, context):
        k = self.knobs
        tier = self.severity
        return {
            "seed": seed_param(rng),
            "rate": k["rate"],
            "max_failures": k["max_failures"],
            "tier": tier,
            "version": DRAWS_VERSION,
        }

    def apply_text(self, obj, params):
        return obj.text

    def restore(self, obj, params):
        return obj.text

    def fails(self, call_index: int, params: dict[str, Any]) -> bool:
        """Whether the call with this index fails on its first attempt."""
        if params.get("version", 1) >= 2:
            u, i = call_uniforms(params["seed"], call_index, 1)
            return u[i] < params["rate"]
        return bool(derived_random(params["seed"], call_index).random() < params["rate"])

    def notice(self, call_index: int, params: dict[str, Any]) -> str:
        items = bank("responses")["transient_errors"][params["tier"]]
        return items[int(derived_random(params["seed"], call_index, 1).integers(len(items)))]


# --- adversarial ----------------------------------------------------------------------------


class _Insert(ResponseTransform):
    lossless: ClassVar = False
    bank_key: ClassVar[str] = ""

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs, "version": DRAWS_VERSION}

    def apply_text(self, obj, params):
        if params.get("version", 1) >= 2:
            # one uniform for "is this response hit", then (which item, where) per item
            u, i = call_uniforms(params["seed"], obj.call_index, 1 + 2 * params["count"])
            if u[i] >= params["rate"]:
                return obj.text
            items = bank("responses")[self.bank_key]
            lines = obj.text.split("\n")
            for k in range(params["count"]):
                item = items[int(u[i + 1 + 2 * k] * len(items))]
                end = params["where"] == "end"
                pos = len(lines) if end else int(u[i + 2 + 2 * k] * (len(lines) + 1))
                lines.insert(pos, item)
            return "\n".join(lines)
        if (
            params["rate"] < 1.0
            and derived_random(params["seed"], obj.call_index).random() >= params["rate"]
        ):
            return obj.text
        rng = derived_random(params["seed"], obj.call_index, 1)
        items = bank("responses")[self.bank_key]
        lines = obj.text.split("\n")
        for _ in range(params["count"]):
            item = items[int(rng.integers(len(items)))]
            pos = len(lines) if params["where"] == "end" else int(rng.integers(len(lines) + 1))
            lines.insert(pos, item)
        return "\n".join(lines)


@register
class ResponsePromptInjection(_Insert):
    name = "response_prompt_injection"
    semantics = "adversarial"
    bank_key = "injections"
    doc = "Insert prompt-injection lines into tool output."
    levels: ClassVar = {
        "light": {"rate": 0.1, "count": 1, "where": "end"},
        "medium": {"rate": 0.3, "count": 1, "where": "anywhere"},
        "heavy": {"rate": 1.0, "count": 2, "where": "anywhere"},
    }
    severity_doc: ClassVar = {
        "light": "10% of responses, one line at the end",
        "medium": "30% of responses, anywhere",
        "heavy": "every response, two lines",
    }


@register
class ResponseFalseFacts(_Insert):
    name = "response_false_facts"
    semantics = "adversarial"
    bank_key = "false_facts"
    doc = "Insert false claims into tool output ('All tests passed.')."
    levels: ClassVar = {
        "light": {"rate": 0.1, "count": 1, "where": "end"},
        "medium": {"rate": 0.3, "count": 1, "where": "end"},
        "heavy": {"rate": 0.6, "count": 2, "where": "anywhere"},
    }
    severity_doc: ClassVar = {
        "light": "10% of responses, one claim at the end",
        "medium": "30% of responses",
        "heavy": "60% of responses, two claims anywhere",
    }


def strip_ansi(text: str) -> str:
    return ANSI_RE.sub("", text)


__all__ = ["ToolResponse", "strip_ansi"]
