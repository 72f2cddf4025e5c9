"""Transforms of the system prompt (scaffold emulation: personas, styles, instructions)."""

from __future__ import annotations

import re
import textwrap
from typing import Any, ClassVar

from agentgym.perturb.banks import bank
from agentgym.perturb.base import TextTransform, derived_rng, seed_param
from agentgym.perturb.registry import register
from agentgym.perturb.text import paraphrase, sentences


def blocks(text: str) -> list[str]:
    """Paragraphs (blank-line separated), never splitting inside a code fence."""
    out: list[str] = []
    cur: list[str] = []
    fence_open = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fence_open = not fence_open
        if not line.strip() and not fence_open:
            if cur:
                out.append("\n".join(cur))
                cur = []
            continue
        cur.append(line)
    if cur:
        out.append("\n".join(cur))
    return out


def sections(text: str) -> list[str]:
    """Markdown sections when the text has headers, else paragraphs."""
    paras = blocks(text)
    if not any(p.lstrip().startswith("#") for p in paras[1:]):
        return paras
    out: list[str] = []
    for p in paras:
        if p.lstrip().startswith("#") or not out:
            out.append(p)
        else:
            out[-1] += "\n\n" + p
    return out


def outside_fences(text: str, fn) -> str:
    """Apply ``fn`` line by line outside ``` fences."""
    out, fence = [], False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fence = not fence
            out.append(line)
            continue
        out.append(line if fence else fn(line))
    return "\n".join(out)


class SystemTransform(TextTransform):
    target: ClassVar = "system"


@register
class SystemParaphrase(SystemTransform):
    name = "system_paraphrase"
    doc = "Paraphrase the system prompt with the phrase bank (code spans untouched)."
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


@register
class SystemReorderSections(SystemTransform):
    name = "system_reorder_sections"
    doc = "Reorder the sections (or paragraphs) of the system prompt."
    levels: ClassVar = {
        "light": {"mode": "swap"},
        "medium": {"mode": "keep_first"},
        "heavy": {"mode": "all"},
    }
    severity_doc: ClassVar = {
        "light": "swap two neighbouring sections after the first",
        "medium": "shuffle every section but the first (the identity line stays on top)",
        "heavy": "shuffle every section",
    }

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs}

    def apply(self, obj, params):
        parts = sections(obj)
        n = len(parts)
        rng = derived_rng(params["seed"], n)
        mode = params["mode"]
        if mode == "swap" and n >= 3:
            i = 1 + int(rng.integers(n - 2))
            parts[i], parts[i + 1] = parts[i + 1], parts[i]
        elif mode == "keep_first" and n >= 3:
            parts = parts[:1] + [parts[1 + int(j)] for j in rng.permutation(n - 1)]
        elif mode == "all" and n >= 2:
            parts = [parts[int(j)] for j in rng.permutation(n)]
        else:
            return obj
        return "\n\n".join(parts)


_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_HEADER = re.compile(r"^\s*#{1,6}\s+(.*)$")


@register
class SystemMarkdownToPlain(SystemTransform):
    name = "system_markdown_to_plain"
    doc = "Strip markdown from the system prompt (emphasis, headers, bullets)."
    levels: ClassVar = {
        "light": {"emphasis": True, "headers": False, "bullets": False},
        "medium": {"emphasis": True, "headers": True, "bullets": False},
        "heavy": {"emphasis": True, "headers": True, "bullets": True},
    }
    severity_doc: ClassVar = {
        "light": "**bold**/__emphasis__ markers removed",
        "medium": "also `# Header` -> `Header:`",
        "heavy": "also bullet markers removed",
    }

    def apply(self, obj, params):
        def line_fn(line: str) -> str:
            if params["emphasis"]:
                line = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
            if params["headers"]:
                m = _HEADER.match(line)
                if m:
                    title = m.group(1).strip()
                    line = title if title.endswith(":") else title + ":"
            if params["bullets"]:
                line = _BULLET.sub(r"\1", line)
            return line

        return outside_fences(obj, line_fn)


@register
class SystemPlainToMarkdown(SystemTransform):
    name = "system_plain_to_markdown"
    doc = "Dress the system prompt in markdown (title, bullet lists, bold rules)."
    levels: ClassVar = {
        "light": {"title": True, "bullets": False, "bold_rules": False},
        "medium": {"title": True, "bullets": True, "bold_rules": False},
        "heavy": {"title": True, "bullets": True, "bold_rules": True},
    }
    severity_doc: ClassVar = {
        "light": "a `# Title` line on top",
        "medium": "also multi-sentence paragraphs become bullet lists",
        "heavy": "also sentences with must/never/always/do not in **bold**",
    }

    def sample_params(self, rng, context):
        titles = bank("prompts")["markdown_titles"]
        return {"title_text": titles[int(rng.integers(len(titles)))], **self.knobs}

    def apply(self, obj, params):
        paras = blocks(obj)
        out = []
        for i, p in enumerate(paras):
            plain = not any(s in p for s in ("```", "\n-", "\n*", "#", "<"))
            if params["bullets"] and plain and i > 0 and len(sentences(p)) > 1:
                items = sentences(" ".join(p.split()))
                if params["bold_rules"]:
                    items = [_bold_rule(s) for s in items]
                out.append("\n".join(f"- {s}" for s in items))
            elif params["bold_rules"] and plain:
                out.append(" ".join(_bold_rule(s) for s in sentences(p)) if "\n" not in p else p)
            else:
                out.append(p)
        text = "\n\n".join(out)
        if params["title"]:
            text = f"{params['title_text']}\n\n{text}"
        return text


def _bold_rule(sentence: str) -> str:
    if (
        re.search(r"\b(must|never|always|do not|don't)\b", sentence, re.IGNORECASE)
        and "`" not in sentence
    ):
        return f"**{sentence}**"
    return sentence


@register
class SystemXmlSections(SystemTransform):
    name = "system_xml_sections"
    doc = "Wrap the system prompt, or each of its sections, in XML-style tags."
    levels: ClassVar = {
        "light": {"per_section": False},
        "medium": {"per_section": True},
        "heavy": {"per_section": True, "root": True},
    }
    severity_doc: ClassVar = {
        "light": "the whole prompt in one tag",
        "medium": "each section in its own tag",
        "heavy": "each section tagged, all inside a <system_prompt> root",
    }

    def sample_params(self, rng, context):
        tags = bank("prompts")["section_tags"]
        return {
            "tags": [tags[int(i)] for i in rng.permutation(len(tags))],
            "per_section": self.knobs["per_section"],
            "root": self.knobs.get("root", False),
        }

    def apply(self, obj, params):
        tags = params["tags"]
        if params["per_section"]:
            parts = sections(obj)
            body = "\n\n".join(
                f"<{tags[i % len(tags)]}>\n{p}\n</{tags[i % len(tags)]}>"
                for i, p in enumerate(parts)
            )
        else:
            body = f"<{tags[0]}>\n{obj}\n</{tags[0]}>"
        return f"<system_prompt>\n{body}\n</system_prompt>" if params["root"] else body


@register
class SystemPersona(SystemTransform):
    name = "system_persona"
    doc = "Give the agent a different scaffold persona (identity line, house rules)."
    levels: ClassVar = {
        "light": {"mode": "prepend", "rules": 0},
        "medium": {"mode": "replace", "rules": 0},
        "heavy": {"mode": "replace", "rules": 3},
    }
    severity_doc: ClassVar = {
        "light": "a persona line before the prompt",
        "medium": "the prompt's own 'You are ...' sentence replaced by the persona",
        "heavy": "persona replaced and three house rules added",
    }

    def sample_params(self, rng, context):
        b = bank("prompts")
        rules = sorted(
            int(i)
            for i in rng.choice(len(b["persona_rules"]), size=self.knobs["rules"], replace=False)
        )
        return {
            "persona": int(rng.integers(len(b["personas"]))),
            "mode": self.knobs["mode"],
            "rules": rules,
        }

    def apply(self, obj, params):
        b = bank("prompts")
        persona = b["personas"][params["persona"]]
        rules = " ".join(b["persona_rules"][i] for i in params["rules"])
        head = f"{persona} {rules}".strip()
        if params["mode"] == "replace":
            m = re.match(r"\s*You are\b[^.\n]*[.\n]\s*", obj)
            if m:
                return f"{head}\n\n{obj[m.end() :]}".rstrip() if obj[m.end() :].strip() else head
        return f"{head}\n\n{obj}" if obj.strip() else head


@register
class SystemToolInstructions(SystemTransform):
    name = "system_tool_instructions"
    doc = "Add a scaffold's own instructions for calling tools."
    levels: ClassVar = {
        "light": {"tier": "light"},
        "medium": {"tier": "medium"},
        "heavy": {"tier": "heavy"},
    }
    severity_doc: ClassVar = {
        "light": "one sentence about tool use",
        "medium": "a paragraph of tool-calling protocol",
        "heavy": "a numbered tool protocol section",
    }

    def sample_params(self, rng, context):
        items = bank("prompts")["tool_instructions"][self.knobs["tier"]]
        return {
            "tier": self.knobs["tier"],
            "index": int(rng.integers(len(items))),
            "position": "start" if rng.random() < 0.3 else "end",
        }

    def apply(self, obj, params):
        text = bank("prompts")["tool_instructions"][params["tier"]][params["index"]]
        if not obj.strip():
            return text
        return f"{text}\n\n{obj}" if params["position"] == "start" else f"{obj}\n\n{text}"


@register
class SystemMoveToUser(SystemTransform):
    """Moves part of the system prompt to the front of the first user message.

    ``apply`` returns what stays in the system prompt; :meth:`moved` returns what goes to
    the user turn (``EpisodePerturbation.opening`` puts it there).
    """

    name = "system_move_to_user"
    doc = "Move system instructions into the first user turn."
    levels: ClassVar = {
        "light": {"mode": "last"},
        "medium": {"mode": "half"},
        "heavy": {"mode": "all"},
    }
    severity_doc: ClassVar = {
        "light": "the last section moves to the user turn",
        "medium": "the second half of the sections move",
        "heavy": "the whole system prompt moves; the system prompt is empty",
    }

    def sample_params(self, rng, context):
        headers = bank("prompts")["moved_instructions_header"]
        return {"mode": self.knobs["mode"], "header": int(rng.integers(len(headers)))}

    def split(self, text: str, params: dict[str, Any]) -> tuple[str, str]:
        parts = sections(text)
        n = len(parts)
        if params["mode"] == "all" or n == 0:
            k = 0
        elif params["mode"] == "half":
            k = max(1, n - n // 2) if n > 1 else n
        else:
            k = n - 1 if n > 1 else n
        return "\n\n".join(parts[:k]), "\n\n".join(parts[k:])

    def apply(self, obj, params):
        return self.split(obj, params)[0]

    def moved(self, text: str, params: dict[str, Any]) -> str:
        """The user-turn block for ``text`` ('' if nothing moves)."""
        moved = self.split(text, params)[1]
        if not moved:
            return ""
        header = bank("prompts")["moved_instructions_header"][params["header"]]
        return f"{header}\n{moved}"


@register
class SystemBoilerplate(SystemTransform):
    name = "system_boilerplate"
    doc = "Add generic scaffold rules (be concise, no emojis, ...)."
    levels: ClassVar = {"light": {"rules": 1}, "medium": {"rules": 3}, "heavy": {"rules": 6}}
    severity_doc: ClassVar = {
        "light": "one rule",
        "medium": "three rules",
        "heavy": "six rules, as a list",
    }

    def sample_params(self, rng, context):
        n = len(bank("prompts")["boilerplate_rules"])
        return {"rules": [int(i) for i in rng.choice(n, size=self.knobs["rules"], replace=False)]}

    def apply(self, obj, params):
        rules = [bank("prompts")["boilerplate_rules"][i] for i in params["rules"]]
        block = "\n".join(f"- {r}" for r in rules) if len(rules) > 3 else " ".join(rules)
        return f"{obj}\n\n{block}" if obj.strip() else block


@register
class SystemWhitespace(SystemTransform):
    name = "system_whitespace"
    doc = "Reflow the system prompt (trailing spaces, blank lines, hard wrapping)."
    levels: ClassVar = {"light": {"width": 0}, "medium": {"width": 100}, "heavy": {"width": 60}}
    severity_doc: ClassVar = {
        "light": "trailing spaces and runs of blank lines removed",
        "medium": "prose hard-wrapped at 100 columns",
        "heavy": "prose hard-wrapped at 60 columns",
    }

    def apply(self, obj, params):
        paras = blocks("\n".join(line.rstrip() for line in obj.split("\n")))
        width = params["width"]
        if width:
            paras = [
                textwrap.fill(
                    " ".join(p.split()), width=width, break_long_words=False, break_on_hyphens=False
                )
                if not any(s in p for s in ("```", "#", "\n-", "\n*", "<", "|"))
                and not p.lstrip().startswith(("-", "*", "1."))
                else p
                for p in paras
            ]
        return "\n\n".join(paras)


@register
class SystemFalseFacts(SystemTransform):
    name = "system_false_facts"
    semantics = "adversarial"
    doc = "Add false statements about the environment to the system prompt."
    levels: ClassVar = {
        "light": {"count": 1, "emphasis": False},
        "medium": {"count": 2, "emphasis": False},
        "heavy": {"count": 3, "emphasis": True},
    }
    severity_doc: ClassVar = {
        "light": "one false statement at the end",
        "medium": "two false statements",
        "heavy": "three, marked IMPORTANT, at the top",
    }

    def sample_params(self, rng, context):
        n = len(bank("prompts")["system_false_facts"])
        return {
            "facts": [int(i) for i in rng.choice(n, size=self.knobs["count"], replace=False)],
            "emphasis": self.knobs["emphasis"],
        }

    def apply(self, obj, params):
        facts = " ".join(bank("prompts")["system_false_facts"][i] for i in params["facts"])
        if params["emphasis"]:
            return f"IMPORTANT: {facts}\n\n{obj}".rstrip()
        return f"{obj}\n\n{facts}".lstrip()
