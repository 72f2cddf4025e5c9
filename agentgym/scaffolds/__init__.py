"""Real agent scaffolds as data: profiles of the harnesses users run (OpenHands, SWE-agent,
mini-swe-agent, Codex CLI, Cline, Aider, Goose, OpenCode), each citing the version it follows.

``load_profile("codex-cli")`` gives a validated :class:`ScaffoldProfile`; the ``scaffold``
perturbation transform swaps a whole episode onto one (see docs/scaffolds.md).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agentgym.errors import ConfigError
from agentgym.scaffolds.models import STYLES, ScaffoldProfile

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"


def profile_names() -> list[str]:
    """Every bundled profile, sorted."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def parse_profile(text: str, where: str = "<profile>") -> ScaffoldProfile:
    """A profile from YAML text; a ConfigError names the file and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a profile is a mapping, got {type(data).__name__}")
    try:
        return ScaffoldProfile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}: invalid scaffold profile:\n{exc}") from exc


@functools.cache
def _load_bundled(name: str) -> ScaffoldProfile:
    path = PROFILES_DIR / f"{name}.yaml"
    profile = parse_profile(path.read_text(encoding="utf-8"), str(path))
    if profile.name != name:
        raise ConfigError(
            f"{path}: the file is named {name!r} but the profile says {profile.name!r}"
        )
    return profile


def load_profile(name_or_path: str | Path) -> ScaffoldProfile:
    """A bundled profile by name, or a profile YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return parse_profile(path.read_text(encoding="utf-8"), str(path))
    name = str(name_or_path)
    if name not in profile_names():
        import difflib

        close = difflib.get_close_matches(name, profile_names(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"unknown scaffold profile {name!r}{hint} (bundled: {', '.join(profile_names())})"
        )
    return _load_bundled(name)


def dump_profile(profile: ScaffoldProfile) -> str:
    """The canonical YAML text of a profile (``parse_profile`` reads it back equal)."""
    data: dict[str, Any] = profile.model_dump(mode="json", exclude_defaults=True)
    return yaml.dump(data, sort_keys=False, allow_unicode=True, width=100, Dumper=_Dumper)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so prompts stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value and not any(c in value for c in "\t\r") else None
    if style and any(line != line.rstrip(" ") for line in value.split("\n")):
        style = None  # trailing spaces cannot round-trip in a block scalar
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def resolve_names(spec: str | list[str] | None) -> list[str]:
    """``all`` / ``None`` -> every profile; ``"a,b"`` or a list -> those (checked)."""
    if spec is None or spec == "all" or spec == ["all"]:
        return profile_names()
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    for n in names:
        load_profile(n)
    return names


__all__ = [
    "PROFILES_DIR",
    "STYLES",
    "ScaffoldProfile",
    "dump_profile",
    "load_profile",
    "parse_profile",
    "profile_names",
    "resolve_names",
]
