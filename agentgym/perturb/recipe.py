"""YAML recipes: load into transforms, dump back to the identical text.

A recipe file::

    name: light
    description: Mild answer-preserving perturbations of every surface.
    transforms:
    - type: tool_rename_synonyms      # a registered transform ...
      p: 0.3
      severity: light
    - type: one_of                    # ... or compose | sequential | one_of | some_of
      p: 0.5
      transforms: [...]

Every error names the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agentgym.errors import PerturbationError
from agentgym.perturb.base import COMBINATORS, SEVERITIES, Compose, SomeOf, Transform
from agentgym.perturb.registry import get_transform_class

Path_ = tuple[Any, ...]


class Recipe(Compose):
    """The root of a recipe: a ``Compose`` with a name and a description."""

    kind = "compose"

    def __init__(
        self, transforms: list[Transform], name: str = "", description: str = "", p: float = 1.0
    ) -> None:
        super().__init__(transforms, p=p)
        self.recipe_name = name
        self.description = description

    def to_recipe_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.recipe_name}
        if self.description:
            out["description"] = self.description
        if self.p != 1.0:
            out["p"] = self.p
        out["transforms"] = [t.to_dict() for t in self.transforms]
        return out

    def __repr__(self) -> str:
        return f"Recipe({self.recipe_name!r}, {len(self.transforms)} transforms)"


def dump_recipe(recipe: Recipe | Transform | list[Transform], name: str = "") -> str:
    """The canonical YAML text of a recipe (what ``load_recipe`` reads back identically)."""
    if isinstance(recipe, Recipe):
        data = recipe.to_recipe_dict()
    else:
        items = recipe if isinstance(recipe, list) else [recipe]
        data = Recipe(items, name=name).to_recipe_dict()
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def load_recipe(path: str | Path) -> Recipe:
    """Read a recipe file. Bad recipes raise PerturbationError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PerturbationError(f"{path}: cannot read recipe: {exc}") from exc
    return parse_recipe(text, source=str(path))


def parse_recipe(text: str, source: str = "<recipe>") -> Recipe:
    """Parse recipe YAML text; ``source`` names it in errors."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise PerturbationError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    marks: dict[Path_, int] = {}
    if node is not None:
        _collect_marks(node, (), marks)
    return _Builder(source, marks).recipe(data)


def _collect_marks(node: yaml.Node, path: Path_, marks: dict[Path_, int]) -> None:
    marks[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            marks[(*path, k, "<key>")] = key.start_mark.line + 1
            _collect_marks(value, (*path, k), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_marks(item, (*path, i), marks)


class _Builder:
    def __init__(self, source: str, marks: dict[Path_, int]) -> None:
        self.source = source
        self.marks = marks

    def fail(self, path: Path_, field: str, message: str) -> PerturbationError:
        line = self.marks.get((*path, field, "<key>")) or self.marks.get((*path, field))
        probe = path
        while line is None and probe:
            line = self.marks.get(probe)
            probe = probe[:-1]
        line = line or self.marks.get((), 1)
        dotted = ".".join(str(p) for p in (*path, field) if p != "")
        return PerturbationError(f"{self.source}:{line}: field '{dotted}': {message}")

    def recipe(self, data: Any) -> Recipe:
        if not isinstance(data, dict):
            raise self.fail((), "", "a recipe must be a mapping with 'name' and 'transforms'")
        self.check_keys(
            data, (), {"name", "description", "p", "transforms"}, {"name", "transforms"}
        )
        name = data["name"]
        if not isinstance(name, str) or not name:
            raise self.fail((), "name", f"must be a non-empty string, got {name!r}")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.fail((), "description", "must be a string")
        p = self.prob(data, ())
        items = self.items(data, ())
        return Recipe(items, name=name, description=description, p=p)

    def check_keys(self, data: dict, path: Path_, allowed: set[str], required: set[str]) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    path, str(key), f"unknown field; allowed: {', '.join(sorted(allowed))}"
                )
        for key in sorted(required - set(data)):
            raise self.fail(path, key, "missing required field")

    def prob(self, data: dict, path: Path_) -> float:
        p = data.get("p", 1.0)
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise self.fail(path, "p", f"must be a number in [0, 1], got {p!r}")
        return float(p)

    def items(self, data: dict, path: Path_) -> list[Transform]:
        items = data["transforms"]
        if not isinstance(items, list):
            raise self.fail(path, "transforms", "must be a list of transforms")
        return [self.transform(item, (*path, "transforms", i)) for i, item in enumerate(items)]

    def transform(self, data: Any, path: Path_) -> Transform:
        if not isinstance(data, dict):
            raise self.fail(
                path, "", f"each transform must be a mapping with a 'type', got {data!r}"
            )
        if "type" not in data:
            raise self.fail(path, "type", "missing required field")
        kind = data["type"]
        if kind in COMBINATORS:
            allowed = {"type", "p", "transforms"} | (
                {"n", "replace"} if kind == "some_of" else set()
            )
            self.check_keys(data, path, allowed, {"type", "transforms"})
            p = self.prob(data, path)
            children = self.items(data, path)
            if kind == "some_of":
                n = data.get("n", 1)
                if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                    raise self.fail(path, "n", f"must be a non-negative integer, got {n!r}")
                replace = data.get("replace", False)
                if not isinstance(replace, bool):
                    raise self.fail(path, "replace", f"must be true or false, got {replace!r}")
                if not replace and n > len(children):
                    raise self.fail(
                        path, "n", f"{n} is more than the {len(children)} transforms listed"
                    )
                return SomeOf(children, n=n, p=p, replace=replace)
            return COMBINATORS[kind](children, p=p)
        try:
            cls = get_transform_class(str(kind))
        except PerturbationError as exc:
            raise self.fail(path, "type", str(exc)) from None
        severity = data.get("severity", "medium")
        if severity not in SEVERITIES:
            raise self.fail(
                path, "severity", f"must be one of {', '.join(SEVERITIES)}, got {severity!r}"
            )
        p = self.prob(data, path)
        options = {k: v for k, v in data.items() if k not in ("type", "p", "severity")}
        known = set(cls.Options.model_fields)
        for key in options:
            if key not in known:
                allowed = ", ".join(["type", "p", "severity", *sorted(known)])
                raise self.fail(path, str(key), f"unknown field for {kind}; allowed: {allowed}")
        try:
            return cls(p=p, severity=severity, **options)
        except PerturbationError as exc:
            field = next(iter(options), "type")
            raise self.fail(path, field, str(exc)) from None


def recipes_dir() -> Path:
    """The repository's ``perturbations/`` folder (next to the package in a checkout)."""
    return Path(__file__).resolve().parents[2] / "perturbations"
