"""Transforms of the tool definitions the agent sees.

Every renaming transform records the full old->new map, so ``forward_call`` (data
generation: rewrite a recorded call for the perturbed tools) and ``invert_call`` (the env:
map the agent's call back to the real tool) are exact inverses.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from agentgym.errors import ToolArgumentError
from agentgym.perturb.banks import bank
from agentgym.perturb.base import PerturbContext, ToolsTransform, seed_param, updated
from agentgym.perturb.registry import register
from agentgym.perturb.text import (
    CASE_STYLES,
    NAME_RE,
    paraphrase,
    sanitize_name,
    sentences,
    split_words,
    to_case,
    typo,
    unique_names,
)
from agentgym.types import ToolCall, ToolSpec


def clone(x: Any) -> Any:
    """Deep copy of JSON data (much faster than copy.deepcopy)."""
    if isinstance(x, dict):
        return {k: clone(v) for k, v in x.items()}
    if isinstance(x, list):
        return [clone(v) for v in x]
    return x


def make_tool(name: str, description: str, parameters: dict[str, Any]) -> ToolSpec:
    # The inputs are already validated ToolSpec fields; skip re-validation on the hot path.
    return ToolSpec.model_construct(name=name, description=description, parameters=parameters)


def props(tool: ToolSpec) -> dict[str, Any]:
    p = tool.parameters.get("properties")
    return p if isinstance(p, dict) else {}


def pick(rng: np.random.Generator, n: int, fraction: float) -> list[int]:
    """``ceil``-ish ``fraction`` of ``range(n)`` (at least one when n > 0), sorted."""
    if n == 0:
        return []
    k = min(n, max(1, round(fraction * n)))
    return sorted(int(i) for i in rng.choice(n, size=k, replace=False))


def detect_style(name: str) -> str:
    if "-" in name:
        return "kebab"
    if "_" in name:
        return "screaming" if name.isupper() else "snake"
    if name[:1].isupper():
        return "pascal"
    if any(c.isupper() for c in name):
        return "camel"
    return "snake"


def choose(rng: np.random.Generator, items: list[Any] | tuple[Any, ...]) -> Any:
    return items[int(rng.integers(len(items)))]


# --- renaming tools -------------------------------------------------------------------------


class _RenameTools(ToolsTransform):
    """Base: params ``{"names": {old: new}}`` over every tool present when sampled."""

    inverts_by_names: ClassVar[bool] = True

    def propose(
        self, rng: np.random.Generator, tools: list[ToolSpec], knobs: dict[str, Any]
    ) -> dict[str, str]:
        raise NotImplementedError

    def sample_params(self, rng, context: PerturbContext) -> dict[str, Any]:
        names = [t.name for t in context.tools]
        proposed = self.propose(rng, context.tools, self.knobs)
        return {"names": unique_names(names, proposed)}

    def apply(self, obj: list[ToolSpec], params: dict[str, Any]) -> list[ToolSpec]:
        names = params["names"]
        return [
            make_tool(names.get(t.name, t.name), t.description, t.parameters)
            if t.name in names
            else t
            for t in obj
        ]

    def forward_call(self, call: ToolCall, params: dict[str, Any]) -> ToolCall:
        new = params["names"].get(call.name, call.name)
        return call if new == call.name else updated(call, {"name": new})

    def inverter(self, params: dict[str, Any]) -> Any:
        old_of: dict[str, str] = {}
        for old, new in params["names"].items():
            old_of.setdefault(new, old)  # the first match wins, as in a scan of the map
        renamed = {new: old for new, old in old_of.items() if new != old}
        if not renamed:
            return None

        def invert(call: ToolCall) -> ToolCall:
            old = renamed.get(call.name)
            return call if old is None else updated(call, {"name": old})

        return invert


def synonym_name(rng: np.random.Generator, name: str) -> str:
    whole = bank("names")["tool_names"].get(name.lower())
    if whole:
        return choose(rng, whole)
    tokens = bank("names")["tokens"]
    words = split_words(name)
    swappable = [i for i, w in enumerate(words) if w in tokens]
    if not swappable:
        return name
    mask = rng.random(len(swappable)) < 0.5
    mask[int(rng.integers(len(swappable)))] = True
    for i, do in zip(swappable, mask, strict=True):
        if do:
            words[i] = choose(rng, tokens[words[i]])
    return to_case("_".join(words).split("_"), detect_style(name))


@register
class ToolRenameSynonyms(_RenameTools):
    name = "tool_rename_synonyms"
    doc = "Rename tools to synonyms (bash -> shell, read_file -> view_document)."
    levels: ClassVar = {
        "light": {"fraction": 0.34},
        "medium": {"fraction": 0.67},
        "heavy": {"fraction": 1.0},
    }
    severity_doc: ClassVar = {
        "light": "a third of the tools renamed",
        "medium": "two thirds of the tools renamed",
        "heavy": "every tool renamed",
    }

    def propose(self, rng, tools, knobs):
        chosen = pick(rng, len(tools), knobs["fraction"])
        return {tools[i].name: synonym_name(rng, tools[i].name) for i in chosen}


@register
class ToolNameCase(_RenameTools):
    name = "tool_name_case"
    doc = (
        "Change the case style of tool names (snake_case, camelCase, PascalCase, kebab-case, ...)."
    )
    levels: ClassVar = {
        "light": {"styles": ["camel", "pascal"], "per_tool": False},
        "medium": {"styles": ["camel", "pascal", "kebab", "screaming"], "per_tool": False},
        "heavy": {"styles": list(CASE_STYLES), "per_tool": True},
    }
    severity_doc: ClassVar = {
        "light": "one style for all tools: camelCase or PascalCase",
        "medium": "one style for all tools, also kebab-case or SCREAMING_SNAKE",
        "heavy": "a different random style per tool, including flatcase",
    }

    def propose(self, rng, tools, knobs):
        style = choose(rng, knobs["styles"])
        out = {}
        for t in tools:
            if knobs["per_tool"]:
                style = choose(rng, knobs["styles"])
            out[t.name] = to_case(split_words(t.name), style) or t.name
        return out


@register
class ToolNamePrefix(_RenameTools):
    name = "tool_name_prefix"
    doc = "Namespace tool names with a prefix (tool_, mcp__workspace__, ...)."
    levels: ClassVar = {
        "light": {"per_tool": False, "suffix": False},
        "medium": {"per_tool": False, "suffix": True},
        "heavy": {"per_tool": True, "suffix": True},
    }
    severity_doc: ClassVar = {
        "light": "one prefix on every tool",
        "medium": "one prefix on every tool, plus a version/tool suffix",
        "heavy": "a different prefix per tool, plus suffixes",
    }

    def propose(self, rng, tools, knobs):
        prefixes = bank("names")["prefixes"]
        prefix = choose(rng, prefixes)
        suffix = choose(rng, ["_tool", "_v2", "_fn", "-1"]) if knobs["suffix"] else ""
        out = {}
        for t in tools:
            if knobs["per_tool"]:
                prefix = choose(rng, prefixes)
            out[t.name] = f"{prefix}{t.name}{suffix}"
        return out


@register
class ToolNameTypos(_RenameTools):
    name = "tool_name_typos"
    doc = "Put keyboard typos in tool names (bash -> bsah)."
    levels: ClassVar = {
        "light": {"fraction": 0.0, "typos": 1},
        "medium": {"fraction": 0.5, "typos": 1},
        "heavy": {"fraction": 1.0, "typos": 2},
    }
    severity_doc: ClassVar = {
        "light": "one typo in one tool name",
        "medium": "one typo in half of the tool names",
        "heavy": "two typos in every tool name",
    }

    def propose(self, rng, tools, knobs):
        neighbours = bank("names")["keyboard_neighbours"]
        out = {}
        for i in pick(rng, len(tools), knobs["fraction"]):
            name = tools[i].name
            for _ in range(knobs["typos"]):
                name = typo(name, int(rng.integers(4)), int(rng.integers(1 << 16)), neighbours)
            out[tools[i].name] = name
        return out


# --- renaming arguments ---------------------------------------------------------------------


class _RenameArgs(ToolsTransform):
    """Base: params ``{"args": {tool: {old: new}}}``; renames top-level properties."""

    inverts_by_names: ClassVar[bool] = True

    def propose(self, rng, prop_names: list[str], knobs: dict[str, Any]) -> dict[str, str]:
        raise NotImplementedError

    def sample_params(self, rng, context):
        out: dict[str, dict[str, str]] = {}
        for t in context.tools:
            names = list(props(t))
            if not names:
                continue
            proposed = self.propose(rng, names, self.knobs)
            final = unique_names(names, proposed)
            changed = {k: v for k, v in final.items() if k != v}
            if changed:
                out[t.name] = final
        return {"args": out}

    def apply(self, obj, params):
        mapping = params["args"]
        out = []
        for t in obj:
            m = mapping.get(t.name)
            if not m:
                out.append(t)
                continue
            schema = dict(t.parameters)
            schema["properties"] = {m.get(k, k): clone(v) for k, v in props(t).items()}
            if isinstance(schema.get("required"), list):
                schema["required"] = [m.get(k, k) for k in schema["required"]]
            out.append(make_tool(t.name, t.description, schema))
        return out

    def forward_call(self, call, params):
        m = params["args"].get(call.name)
        if not m:
            return call
        return updated(call, {"arguments": {m.get(k, k): v for k, v in call.arguments.items()}})

    def inverter(self, params):
        tables = {
            tool: (m, {new: old for old, new in m.items()})
            for tool, m in params["args"].items()
            if m
        }
        if not tables:
            return None

        def invert(call):
            entry = tables.get(call.name)
            if entry is None:
                return call
            m, inverse = entry
            args = call.arguments
            for k in args:
                if k not in inverse and k in m:
                    raise ToolArgumentError(
                        f"tool {call.name!r} has no argument {k!r}; "
                        f"its arguments are: {', '.join(inverse)}"
                    )
            return updated(call, {"arguments": {inverse.get(k, k): v for k, v in args.items()}})

        return invert


@register
class ToolArgRenameSynonyms(_RenameArgs):
    name = "tool_arg_rename_synonyms"
    doc = "Rename tool arguments to synonyms (command -> cmd, path -> file_path)."
    levels: ClassVar = {
        "light": {"fraction": 0.25},
        "medium": {"fraction": 0.5},
        "heavy": {"fraction": 1.0},
    }
    severity_doc: ClassVar = {
        "light": "a quarter of each tool's arguments renamed (at least one)",
        "medium": "half of each tool's arguments renamed",
        "heavy": "every argument renamed",
    }

    def propose(self, rng, prop_names, knobs):
        args = bank("names")["argument_names"]
        tokens = bank("names")["tokens"]
        out = {}
        for i in pick(rng, len(prop_names), knobs["fraction"]):
            name = prop_names[i]
            if name.lower() in args:
                out[name] = choose(rng, args[name.lower()])
                continue
            words = split_words(name)
            swappable = [j for j, w in enumerate(words) if w in tokens]
            if swappable:
                j = swappable[int(rng.integers(len(swappable)))]
                words[j] = choose(rng, tokens[words[j]])
                out[name] = to_case(words, detect_style(name))
            else:
                out[name] = choose(rng, ["arg_", "param_", "input_"]) + name
        return out


@register
class ToolArgCase(_RenameArgs):
    name = "tool_arg_case"
    doc = "Change the case style of argument names (file_path -> filePath)."
    levels: ClassVar = {
        "light": {"styles": ["camel"], "per_arg": False},
        "medium": {"styles": ["camel", "pascal", "kebab"], "per_arg": False},
        "heavy": {"styles": list(CASE_STYLES), "per_arg": True},
    }
    severity_doc: ClassVar = {
        "light": "camelCase for every argument",
        "medium": "one of camelCase, PascalCase, kebab-case per tool",
        "heavy": "a random style per argument",
    }

    def propose(self, rng, prop_names, knobs):
        style = choose(rng, knobs["styles"])
        out = {}
        for name in prop_names:
            if knobs["per_arg"]:
                style = choose(rng, knobs["styles"])
            out[name] = to_case(split_words(name), style) or name
        return out


# --- descriptions ---------------------------------------------------------------------------


def _map_descriptions(
    tools: list[ToolSpec], fn, with_props: bool, names: set[str] | None = None
) -> list[ToolSpec]:
    out = []
    for t in tools:
        if names is not None and t.name not in names:
            out.append(t)
            continue
        schema = t.parameters
        if with_props and props(t):
            schema = dict(t.parameters)
            new_props = {}
            for k, v in props(t).items():
                v = clone(v)
                if isinstance(v, dict) and isinstance(v.get("description"), str):
                    v["description"] = fn(v["description"])
                new_props[k] = v
            schema["properties"] = new_props
        out.append(make_tool(t.name, fn(t.description), schema))
    return out


@register
class ToolParaphraseDescription(ToolsTransform):
    name = "tool_paraphrase_description"
    doc = "Paraphrase tool (and argument) descriptions with the phrase bank."
    levels: ClassVar = {
        "light": {"rate": 0.3, "properties": False},
        "medium": {"rate": 0.6, "properties": True},
        "heavy": {"rate": 1.0, "properties": True},
    }
    severity_doc: ClassVar = {
        "light": "30% of known phrases rephrased, tool descriptions only",
        "medium": "60% of phrases, argument descriptions too",
        "heavy": "every known phrase rephrased, everywhere",
    }

    def sample_params(self, rng, context):
        return {"seed": seed_param(rng), **self.knobs}

    def apply(self, obj, params):
        return _map_descriptions(
            obj, lambda s: paraphrase(s, params["seed"], params["rate"]), params["properties"]
        )


@register
class ToolShortenDescription(ToolsTransform):
    name = "tool_shorten_description"
    doc = "Shorten tool descriptions (first sentences / first words); drop argument docs."
    levels: ClassVar = {
        "light": {"sentences": 2, "max_words": 0, "drop_property_descriptions": False},
        "medium": {"sentences": 1, "max_words": 0, "drop_property_descriptions": False},
        "heavy": {"sentences": 1, "max_words": 8, "drop_property_descriptions": True},
    }
    severity_doc: ClassVar = {
        "light": "keep the first two sentences",
        "medium": "keep the first sentence",
        "heavy": "first eight words only, argument descriptions removed",
    }

    def apply(self, obj, params):
        def shorten(text: str) -> str:
            if "```" in text:
                text = text.split("```", 1)[0].strip()
            short = " ".join(sentences(text)[: params["sentences"]])
            if params["max_words"]:
                words = short.split()
                if len(words) > params["max_words"]:
                    short = " ".join(words[: params["max_words"]]).rstrip(",;:") + "..."
            return short

        out = _map_descriptions(obj, shorten, False)
        if params["drop_property_descriptions"]:
            res = []
            for t in out:
                schema = dict(t.parameters)
                if props(t):
                    schema["properties"] = {
                        k: {kk: clone(vv) for kk, vv in v.items() if kk != "description"}
                        if isinstance(v, dict)
                        else v
                        for k, v in props(t).items()
                    }
                res.append(make_tool(t.name, t.description, schema))
            out = res
        return out


@register
class ToolVerboseDescription(ToolsTransform):
    name = "tool_verbose_description"
    doc = "Pad tool descriptions with generic usage notes."
    levels: ClassVar = {"light": {"notes": 1}, "medium": {"notes": 2}, "heavy": {"notes": 4}}
    severity_doc: ClassVar = {
        "light": "one generic note per tool",
        "medium": "two notes per tool",
        "heavy": "four notes per tool",
    }

    def sample_params(self, rng, context):
        n = len(bank("responses")["usage_notes"])
        k = self.knobs["notes"]
        return {
            "notes": {
                t.name: sorted(int(i) for i in rng.choice(n, size=k, replace=False))
                for t in context.tools
            }
        }

    def apply(self, obj, params):
        bank_notes = bank("responses")["usage_notes"]
        out = []
        for t in obj:
            idx = params["notes"].get(t.name)
            if not idx:
                out.append(t)
                continue
            extra = " ".join(bank_notes[i] for i in idx)
            desc = f"{t.description.rstrip()} {extra}" if t.description.strip() else extra
            out.append(make_tool(t.name, desc, t.parameters))
        return out


# --- order and presentation -----------------------------------------------------------------


@register
class ToolReorder(ToolsTransform):
    name = "tool_reorder"
    doc = "Reorder the tool list."
    levels: ClassVar = {
        "light": {"mode": "swap"},
        "medium": {"mode": "move"},
        "heavy": {"mode": "shuffle"},
    }
    severity_doc: ClassVar = {
        "light": "swap two neighbouring tools",
        "medium": "move one tool to another position",
        "heavy": "shuffle every tool",
    }

    def sample_params(self, rng, context):
        names = [t.name for t in context.tools]
        n = len(names)
        mode = self.knobs["mode"]
        if n >= 2 and mode == "swap":
            i = int(rng.integers(n - 1))
            names[i], names[i + 1] = names[i + 1], names[i]
        elif n >= 2 and mode == "move":
            name = names.pop(int(rng.integers(n)))
            names.insert(int(rng.integers(n)), name)
        elif n >= 2:
            names = [names[int(i)] for i in rng.permutation(n)]
        return {"order": names}

    def apply(self, obj, params):
        rank = {name: i for i, name in enumerate(params["order"])}
        return sorted(obj, key=lambda t: rank.get(t.name, len(rank)))


@register
class ToolReorderProperties(ToolsTransform):
    name = "tool_reorder_properties"
    doc = "Reorder the properties (and the required list) of tool schemas."
    levels: ClassVar = {
        "light": {"fraction": 0.34, "required": False},
        "medium": {"fraction": 1.0, "required": False},
        "heavy": {"fraction": 1.0, "required": True},
    }
    severity_doc: ClassVar = {
        "light": "properties shuffled in a third of the tools",
        "medium": "properties shuffled in every tool",
        "heavy": "properties and `required` shuffled in every tool",
    }

    def sample_params(self, rng, context):
        with_props = [t for t in context.tools if len(props(t)) > 1]
        orders, required = {}, {}
        for i in pick(rng, len(with_props), self.knobs["fraction"]):
            t = with_props[i]
            names = list(props(t))
            orders[t.name] = [names[int(j)] for j in rng.permutation(len(names))]
            req = t.parameters.get("required")
            if self.knobs["required"] and isinstance(req, list) and len(req) > 1:
                required[t.name] = [req[int(j)] for j in rng.permutation(len(req))]
        return {"properties": orders, "required": required}

    def apply(self, obj, params):
        out = []
        for t in obj:
            order = params["properties"].get(t.name)
            req = params["required"].get(t.name)
            if not order and not req:
                out.append(t)
                continue
            schema = dict(t.parameters)
            if order:
                p = props(t)
                rank = {k: i for i, k in enumerate(order)}
                schema["properties"] = {
                    k: clone(p[k]) for k in sorted(p, key=lambda k: rank.get(k, len(rank)))
                }
            if req and isinstance(schema.get("required"), list):
                rank = {k: i for i, k in enumerate(req)}
                schema["required"] = sorted(
                    schema["required"], key=lambda k: rank.get(k, len(rank))
                )
            out.append(make_tool(t.name, t.description, schema))
        return out


def _type_name(schema: dict[str, Any]) -> str:
    t = schema.get("type", "any")
    return "|".join(t) if isinstance(t, list) else str(t)


@register
class ToolSchemaPresentation(ToolsTransform):
    name = "tool_schema_presentation"
    doc = "Change how schemas are written without changing what they accept."
    levels: ClassVar = {
        "light": {
            "titles": True,
            "type_lists": False,
            "closed": False,
            "docs_in_description": False,
        },
        "medium": {
            "titles": True,
            "type_lists": True,
            "closed": True,
            "docs_in_description": False,
        },
        "heavy": {"titles": False, "type_lists": True, "closed": True, "docs_in_description": True},
    }
    severity_doc: ClassVar = {
        "light": "add a `title` to every property",
        "medium": "titles, `type` written as a list, `additionalProperties: false`",
        "heavy": "argument docs moved out of the schema into a 'Parameters:' block of the tool description",
    }

    def apply(self, obj, params):
        out = []
        for t in obj:
            schema = clone(t.parameters)
            desc = t.description
            p = schema.get("properties")
            if isinstance(p, dict) and p:
                required = set(schema.get("required") or [])
                doc_lines = []
                for k, v in p.items():
                    if not isinstance(v, dict):
                        continue
                    if params["docs_in_description"]:
                        flag = "required" if k in required else "optional"
                        text = v.pop("description", "")
                        doc_lines.append(
                            f"- {k} ({_type_name(v)}, {flag}){': ' + text if text else ''}"
                        )
                    if params["titles"] and "title" not in v:
                        v["title"] = " ".join(w.capitalize() for w in split_words(k)) or k
                    if params["type_lists"] and isinstance(v.get("type"), str):
                        v["type"] = [v["type"]]
                if doc_lines:
                    desc = (
                        (desc.rstrip() + "\n\n" if desc.strip() else "")
                        + "Parameters:\n"
                        + "\n".join(doc_lines)
                    )
            if (
                params["closed"]
                and "additionalProperties" not in schema
                and schema.get("type") == "object"
            ):
                schema["additionalProperties"] = False
            out.append(make_tool(t.name, desc, schema))
        return out


# --- adding, splitting, merging ---------------------------------------------------------------


@register
class ToolDistractors(ToolsTransform):
    inverts_by_names: ClassVar[bool] = True
    name = "tool_distractors"
    doc = "Add plausible tools the task does not need (web_search, send_email, ...); calls get a canned error."
    levels: ClassVar = {"light": {"count": 1}, "medium": {"count": 3}, "heavy": {"count": 6}}
    severity_doc: ClassVar = {
        "light": "one distractor tool",
        "medium": "three distractor tools",
        "heavy": "six distractor tools",
    }

    def sample_params(self, rng, context):
        pool = bank("responses")["distractor_tools"]
        taken = {t.name for t in context.tools}
        free = [i for i, d in enumerate(pool) if d["name"] not in taken]
        k = min(self.knobs["count"], len(free))
        chosen = [free[int(i)] for i in rng.choice(len(free), size=k, replace=False)] if k else []
        n = len(context.tools)
        positions = [int(rng.integers(n + 1 + j)) for j in range(k)]
        return {"distractors": [pool[i]["name"] for i in chosen], "positions": positions}

    def apply(self, obj, params):
        pool = {d["name"]: d for d in bank("responses")["distractor_tools"]}
        out = list(obj)
        present = {t.name for t in obj}
        for name, pos in zip(params["distractors"], params["positions"], strict=True):
            if name in present:
                continue
            d = pool[name]
            out.insert(
                min(pos, len(out)), make_tool(name, d["description"], clone(d["parameters"]))
            )
        return out

    def inverter(self, params):
        if not params["distractors"]:
            return None
        pool = {d["name"]: d for d in bank("responses")["distractor_tools"]}
        answers = {name: pool[name]["response"] for name in params["distractors"]}

        def invert(call):
            answer = answers.get(call.name)
            return call if answer is None else answer

        return invert


def split_property(tool: ToolSpec) -> str | None:
    """The string-enum property a tool can be split on (editor's ``command``), if any."""
    for k, v in props(tool).items():
        enum = v.get("enum") if isinstance(v, dict) else None
        if (
            isinstance(enum, list)
            and 2 <= len(enum) <= 8
            and all(isinstance(e, str) and e for e in enum)
            and k in (tool.parameters.get("required") or [])
        ):
            return k
    return None


@register
class ToolSplit(ToolsTransform):
    inverts_by_names: ClassVar[bool] = True
    name = "tool_split"
    doc = "Split a tool with a command enum into one tool per command (editor -> editor_view, editor_create, ...)."
    levels: ClassVar = {
        "light": {"fraction": 0.0},
        "medium": {"fraction": 0.5},
        "heavy": {"fraction": 1.0},
    }
    severity_doc: ClassVar = {
        "light": "split one eligible tool",
        "medium": "split half of the eligible tools",
        "heavy": "split every eligible tool",
    }

    def sample_params(self, rng, context):
        eligible = [t for t in context.tools if split_property(t)]
        taken = {t.name for t in context.tools}
        splits = {}
        for i in pick(rng, len(eligible), self.knobs["fraction"]):
            t = eligible[i]
            prop = split_property(t)
            assert prop is not None
            names = {}
            for value in props(t)[prop]["enum"]:
                base = sanitize_name(f"{t.name}_{value}")
                cand, j = base, 2
                while cand in taken or not NAME_RE.match(cand):
                    cand = sanitize_name(f"{base[:60]}_{j}")
                    j += 1
                taken.add(cand)
                names[value] = cand
            splits[t.name] = {"property": prop, "names": names}
        return {"splits": splits}

    def apply(self, obj, params):
        out = []
        for t in obj:
            spec = params["splits"].get(t.name)
            if not spec:
                out.append(t)
                continue
            prop = spec["property"]
            for value, new_name in spec["names"].items():
                schema = clone(t.parameters)
                schema["properties"] = {k: v for k, v in schema["properties"].items() if k != prop}
                if isinstance(schema.get("required"), list):
                    schema["required"] = [r for r in schema["required"] if r != prop]
                desc = f"{t.description.rstrip()} (This tool always uses {prop}={value}.)".strip()
                out.append(make_tool(new_name, desc, schema))
        return out

    def forward_call(self, call, params):
        spec = params["splits"].get(call.name)
        if not spec:
            return call
        args = dict(call.arguments)
        value = args.pop(spec["property"], None)
        if value not in spec["names"]:
            return call
        return updated(call, {"name": spec["names"][value], "arguments": args})

    def inverter(self, params):
        parts: dict[str, tuple[str, str, Any]] = {}  # new name -> (tool, property, value)
        for old, spec in params["splits"].items():
            for value, new_name in spec["names"].items():
                parts.setdefault(new_name, (old, spec["property"], value))
        if not parts:
            return None

        def invert(call):
            part = parts.get(call.name)
            if part is None:
                return call
            old, prop, value = part
            return updated(call, {"name": old, "arguments": {**call.arguments, prop: value}})

        return invert


@register
class ToolMerge(ToolsTransform):
    name = "tool_merge"
    doc = "Merge several tools into one tool with an `operation` argument."
    levels: ClassVar = {"light": {"count": 2}, "medium": {"count": 3}, "heavy": {"count": 0}}
    severity_doc: ClassVar = {
        "light": "merge two tools",
        "medium": "merge three tools",
        "heavy": "merge every tool into one",
    }

    def sample_params(self, rng, context):
        tools = context.tools
        n = len(tools)
        k = n if self.knobs["count"] == 0 else min(self.knobs["count"], n)
        if k < 2:
            return {"name": "", "members": [], "renamed": {}}
        members = [tools[int(i)].name for i in sorted(rng.choice(n, size=k, replace=False))]
        taken = {t.name for t in tools} - set(members)
        name = choose(rng, bank("names")["merged_tool_names"])
        while name in taken:
            name += "_tools"
        # Arguments shared by several members with different schemas get a member prefix.
        seen: dict[str, Any] = {"operation": {}}
        renamed: dict[str, dict[str, str]] = {}
        by_name = {t.name: t for t in tools}
        for m in members:
            for k2, v in props(by_name[m]).items():
                if k2 in seen and seen[k2] != v:
                    renamed.setdefault(m, {})[k2] = sanitize_name(f"{m}_{k2}")
                else:
                    seen[k2] = v
        return {"name": name, "members": members, "renamed": renamed}

    def apply(self, obj, params):
        members = params["members"]
        if not members:
            return list(obj)
        by_name = {t.name: t for t in obj}
        present = [m for m in members if m in by_name]
        if not present:
            return list(obj)
        merged_props: dict[str, Any] = {
            "operation": {
                "type": "string",
                "enum": present,
                "description": "Which operation to perform.",
            }
        }
        lines = [f"Multi-purpose tool. Set `operation` to one of: {', '.join(present)}."]
        for m in present:
            t = by_name[m]
            ren = params["renamed"].get(m, {})
            arg_names = []
            for k, v in props(t).items():
                key = ren.get(k, k)
                merged_props.setdefault(key, clone(v))
                arg_names.append(key)
            req = [ren.get(r, r) for r in (t.parameters.get("required") or [])]
            args = ", ".join(f"{a}{' (required)' if a in req else ''}" for a in arg_names) or "none"
            lines.append(f"- {m}: {t.description.strip() or 'no description'} Arguments: {args}.")
        merged = make_tool(
            params["name"],
            "\n".join(lines),
            {"type": "object", "properties": merged_props, "required": ["operation"]},
        )
        out: list[ToolSpec] = []
        for t in obj:
            if t.name == present[0]:
                out.append(merged)
            elif t.name not in present:
                out.append(t)
        return out

    def forward_call(self, call, params):
        if call.name not in params["members"]:
            return call
        ren = params["renamed"].get(call.name, {})
        args = {"operation": call.name, **{ren.get(k, k): v for k, v in call.arguments.items()}}
        return updated(call, {"name": params["name"], "arguments": args})

    def inverter(self, params):
        members, name = params["members"], params["name"]
        if not members:
            return None
        inverses = {
            m: {new: old for old, new in params["renamed"].get(m, {}).items()} for m in members
        }

        def invert(call):
            if call.name != name:
                return call
            args = dict(call.arguments)
            op = args.pop("operation", None)
            inverse = inverses.get(op) if isinstance(op, str) else None
            if inverse is None:
                raise ToolArgumentError(
                    f"tool {call.name!r} needs `operation`, one of: {', '.join(members)}"
                )
            return updated(
                call, {"name": op, "arguments": {inverse.get(k, k): v for k, v in args.items()}}
            )

        return invert


# --- adversarial ----------------------------------------------------------------------------


@register
class ToolSwapDescriptions(ToolsTransform):
    name = "tool_swap_descriptions"
    semantics = "adversarial"
    doc = "Give tools each other's descriptions (misleading documentation)."
    levels: ClassVar = {
        "light": {"mode": "pair"},
        "medium": {"mode": "rotate"},
        "heavy": {"mode": "rotate_all"},
    }
    severity_doc: ClassVar = {
        "light": "two tools swap descriptions",
        "medium": "every tool gets another tool's description",
        "heavy": "tool and argument descriptions rotated",
    }

    def sample_params(self, rng, context):
        names = [t.name for t in context.tools]
        if len(names) < 2:
            return {"sources": {}, "properties": False}
        if self.knobs["mode"] == "pair":
            i, j = (int(x) for x in rng.choice(len(names), size=2, replace=False))
            sources = {names[i]: names[j], names[j]: names[i]}
        else:
            order = [names[int(x)] for x in rng.permutation(len(names))]
            sources = {order[i]: order[(i + 1) % len(order)] for i in range(len(order))}
        return {"sources": sources, "properties": self.knobs["mode"] == "rotate_all"}

    def apply(self, obj, params):
        by_name = {t.name: t for t in obj}
        out = []
        for t in obj:
            src = by_name.get(params["sources"].get(t.name, ""))
            if src is None:
                out.append(t)
                continue
            schema = t.parameters
            if params["properties"] and props(t):
                descs = [v.get("description") for v in props(src).values() if isinstance(v, dict)]
                descs = [d for d in descs if d] or [""]
                schema = clone(t.parameters)
                for i, v in enumerate(schema["properties"].values()):
                    if isinstance(v, dict):
                        v["description"] = descs[i % len(descs)]
            out.append(make_tool(t.name, src.description, schema))
        return out


@register
class ToolDeprecationNotice(ToolsTransform):
    name = "tool_deprecation_notice"
    semantics = "adversarial"
    doc = "Mark working tools as deprecated, unreliable or disabled (false)."
    levels: ClassVar = {
        "light": {"fraction": 0.0},
        "medium": {"fraction": 0.5},
        "heavy": {"fraction": 1.0},
    }
    severity_doc: ClassVar = {
        "light": "one tool marked",
        "medium": "half of the tools marked",
        "heavy": "every tool marked",
    }

    def sample_params(self, rng, context):
        n_notes = len(bank("responses")["deprecation_notices"])
        chosen = pick(rng, len(context.tools), self.knobs["fraction"])
        return {"notices": {context.tools[i].name: int(rng.integers(n_notes)) for i in chosen}}

    def apply(self, obj, params):
        notes = bank("responses")["deprecation_notices"]
        return [
            make_tool(
                t.name, f"{notes[params['notices'][t.name]]} {t.description}".strip(), t.parameters
            )
            if t.name in params["notices"]
            else t
            for t in obj
        ]
