"""The transform registry: recipe ``type`` name -> transform class.

``registry`` is filled by the ``@register`` decorator when the surface modules are imported
(``agentgym.perturb`` imports them all), so ``registry`` always lists every transform.
"""

from __future__ import annotations

from typing import TypeVar

from agentgym.errors import PerturbationError
from agentgym.perturb.base import TARGETS, Transform

registry: dict[str, type[Transform]] = {}

T = TypeVar("T", bound=type[Transform])


def register(cls: T) -> T:
    """Class decorator: add a transform to the registry under ``cls.name``."""
    if not cls.name:
        raise PerturbationError(f"{cls.__qualname__} has no name")
    if cls.name in registry and registry[cls.name] is not cls:
        raise PerturbationError(f"transform name {cls.name!r} is registered twice")
    if cls.target not in TARGETS:
        raise PerturbationError(f"{cls.name}: unknown target {cls.target!r}")
    if set(cls.levels) != {"light", "medium", "heavy"}:
        raise PerturbationError(f"{cls.name}: levels must define light, medium and heavy")
    registry[cls.name] = cls
    return cls


def get_transform_class(name: str) -> type[Transform]:
    """The transform class registered as ``name``; a PerturbationError lists close names."""
    _load_all()
    try:
        return registry[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, registry, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PerturbationError(f"unknown transform {name!r}{hint}") from None


def transforms_for(target: str) -> list[type[Transform]]:
    """Every registered transform of one surface, in registry order."""
    _load_all()
    return [c for c in registry.values() if c.target == target]


def _load_all() -> None:
    # Importing the package registers every surface module.
    import agentgym.perturb  # noqa: F401
