"""Transforms of user messages (the task statement and any later user turns).

Code spans, fences and code-like words (snake_case, CamelCase, paths, numbers, ALLCAPS)
are never altered, so identifiers named in the task survive every preserving transform.
"""

from __future__ import annotations

import re
from typing import ClassVar

from agentgym.perturb.banks import bank
from agentgym.perturb.base import TextTransform, derived_rng, seed_param
from agentgym.perturb.registry import register
from agentgym.perturb.text import (
    CODE_RE,
    PLAIN_WORD_RE,
    TOKEN_RE,
    map_prose,
    paraphrase,
    sentences,
    typo,
)


class UserTransform(TextTransform):
    target: ClassVar = "user"


@register
class UserParaphrase(UserTransform):
    name = "user_paraphrase"
    doc = "Paraphrase the user's request with the phrase bank."
    levels: ClassVar = {"light": {"rate": 0.3}, "medium": {"rate": 0.6}, "heavy": {"rate": 1.0}}
    severity_doc: ClassVar = {
        "light": "30% of known phrases rephrased",
        "medium": "60% of known phrases rephrased",
        "heavy": "every known phrase rephrased",
    }

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs}

    def apply(self, obj, params):
        return paraphrase(obj, params["seed"], params["rate"])


def _map_plain_words(text: str, fn) -> str:
    """Call ``fn(word, index)`` on each plain prose word outside code; keep the rest."""
    counter = [0]

    def prose(seg: str) -> str:
        def tok(m: re.Match[str]) -> str:
            w = PLAIN_WORD_RE.match(m.group(0))
            if not w:
                return m.group(0)
            i = counter[0]
            counter[0] += 1
            return w.group(1) + fn(w.group(2), i) + w.group(3)

        return TOKEN_RE.sub(tok, seg)

    return map_prose(text, prose)


@register
class UserTypos(UserTransform):
    name = "user_typos"
    doc = "Keyboard typos in prose words (swaps, drops, doubles, neighbour keys)."
    levels: ClassVar = {"light": {"rate": 0.03}, "medium": {"rate": 0.07}, "heavy": {"rate": 0.15}}
    severity_doc: ClassVar = {
        "light": "3% of prose words get a typo",
        "medium": "7% of prose words",
        "heavy": "15% of prose words",
    }

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs}

    def apply(self, obj, params):
        neighbours = bank("names")["keyboard_neighbours"]
        rng = derived_rng(params["seed"], len(obj))
        n = len(obj) // 2 + 1
        u, ops, pos = rng.random(n), rng.integers(0, 4, n), rng.integers(0, 1 << 16, n)
        rate = params["rate"]

        def fn(word: str, i: int) -> str:
            if len(word) < 4 or i >= n or u[i] >= rate:
                return word
            return typo(word, int(ops[i]), int(pos[i]), neighbours)

        return _map_plain_words(obj, fn)


@register
class UserCasing(UserTransform):
    name = "user_casing"
    doc = "Change the casing of prose (lowercase sentence starts, all lowercase, ALL CAPS)."
    levels: ClassVar = {
        "light": {"mode": "sentence_lower"},
        "medium": {"mode": "lower"},
        "heavy": {"mode": "upper"},
    }
    severity_doc: ClassVar = {
        "light": "sentences start lowercase",
        "medium": "all prose words lowercase",
        "heavy": "all prose words UPPERCASE",
    }

    def apply(self, obj, params):
        mode = params["mode"]
        if mode == "sentence_lower":

            def prose(seg: str) -> str:
                return re.sub(
                    r"(^|[.!?]\s+)([A-Z])(?=[a-z]+\b)",
                    lambda m: m.group(1) + m.group(2).lower(),
                    seg,
                )

            return map_prose(obj, prose)
        if mode == "lower":
            return _map_plain_words(obj, lambda w, i: w.lower())
        return _map_plain_words(obj, lambda w, i: w.upper())


@register
class UserNoise(UserTransform):
    name = "user_noise"
    doc = "Surround the request with greetings, asides and sign-offs."
    levels: ClassVar = {"light": {"asides": 0}, "medium": {"asides": 1}, "heavy": {"asides": 3}}
    severity_doc: ClassVar = {
        "light": "a greeting and a sign-off",
        "medium": "also one irrelevant aside",
        "heavy": "also three asides, before and after the request",
    }

    def sample_params(self, rng, context):
        b = bank("prompts")
        k = self.knobs["asides"]
        return {
            "greeting": int(rng.integers(len(b["user_greetings"]))),
            "signoff": int(rng.integers(len(b["user_signoffs"]))),
            "asides": [int(i) for i in rng.choice(len(b["user_asides"]), size=k, replace=False)],
        }

    def apply(self, obj, params):
        b = bank("prompts")
        asides = [b["user_asides"][i] for i in params["asides"]]
        before, after = asides[: len(asides) // 2], asides[len(asides) // 2 :]
        head = " ".join([b["user_greetings"][params["greeting"]], *before])
        tail = " ".join([*after, b["user_signoffs"][params["signoff"]]])
        return f"{head}\n\n{obj}\n\n{tail}"


@register
class UserIssueStyle(UserTransform):
    name = "user_issue_style"
    doc = "Present the request as an email, chat message, GitHub issue, forum post or Jira ticket."
    levels: ClassVar = {
        "light": {"styles": ["email", "slack"]},
        "medium": {"styles": ["github_issue", "forum"]},
        "heavy": {"styles": ["jira"]},
    }
    severity_doc: ClassVar = {
        "light": "email or chat message around the unchanged text",
        "medium": "GitHub issue or forum post template",
        "heavy": "Jira ticket with metadata fields",
    }

    def sample_params(self, rng, context):
        b = bank("prompts")
        styles = self.knobs["styles"]
        return {
            "style": styles[int(rng.integers(len(styles)))],
            "name": b["issue_names"][int(rng.integers(len(b["issue_names"])))],
            "key": f"PROJ-{int(rng.integers(100, 10000))}",
            "priority": b["issue_priorities"][int(rng.integers(len(b["issue_priorities"])))],
        }

    def apply(self, obj, params):
        prose = re.sub(r"```.*?(?:```|\Z)", "", obj, flags=re.DOTALL).replace("`", "")
        first = (sentences(prose.strip()) or ["Bug report"])[0]
        title = " ".join(first.split()[:10]).rstrip(".:") or "Bug report"
        template = bank("prompts")["issue_styles"][params["style"]]
        return template.format(
            text=obj,
            title=title,
            name=params["name"],
            key=params["key"],
            priority=params["priority"],
        )


@register
class UserCodeFormatting(UserTransform):
    name = "user_code_formatting"
    doc = "Remove markdown code markup: inline backticks, then fences."
    levels: ClassVar = {
        "light": {"fences": "keep"},
        "medium": {"fences": "indent"},
        "heavy": {"fences": "rule"},
    }
    severity_doc: ClassVar = {
        "light": "inline `code` backticks removed",
        "medium": "also ``` fences turned into 4-space indented blocks",
        "heavy": "also ``` fences replaced by ---- rules (code lines unchanged)",
    }

    def apply(self, obj, params):
        mode = params["fences"]

        def sub(m: re.Match[str]) -> str:
            s = m.group(0)
            if not s.startswith("```"):
                return s[1:-1]
            if mode == "keep" or not s.endswith("```") or len(s) < 6:
                return s
            body = s[3:-3]
            body = body.split("\n", 1)[1] if "\n" in body else body
            body = body[:-1] if body.endswith("\n") else body
            if mode == "indent":
                return "\n".join("    " + line if line else line for line in body.split("\n"))
            return f"----\n{body}\n----"

        return CODE_RE.sub(sub, obj)


@register
class UserMisleadingHint(UserTransform):
    name = "user_misleading_hint"
    semantics = "adversarial"
    doc = "Add wrong hints to the request (bug is elsewhere, delete the tests, ...)."
    levels: ClassVar = {"light": {"count": 1}, "medium": {"count": 2}, "heavy": {"count": 3}}
    severity_doc: ClassVar = {
        "light": "one wrong hint",
        "medium": "two wrong hints",
        "heavy": "three wrong hints",
    }

    def sample_params(self, rng, context):
        n = len(bank("prompts")["misleading_hints"])
        return {"hints": [int(i) for i in rng.choice(n, size=self.knobs["count"], replace=False)]}

    def apply(self, obj, params):
        hints = " ".join(bank("prompts")["misleading_hints"][i] for i in params["hints"])
        return f"{obj}\n\n{hints}"
