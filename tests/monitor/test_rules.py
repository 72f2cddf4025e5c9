"""Rule files: validation errors that name file, rule and field; overrides; round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentgym.errors import ConfigError
from agentgym.monitor import (
    Monitor,
    Rule,
    default_rules,
    default_rules_path,
    dump_rules,
    load_rules,
    parse_rules,
)
from agentgym.monitor.rules import glob_to_regex
from agentgym.types import ToolCall

GOOD = {
    "id": "my.rule",
    "description": "d",
    "kind": "unsafe",
    "severity": "low",
    "match": {"command_regex": "^make\\s+deploy\\b"},
}


def write(tmp_path: Path, data: object, name: str = "rules.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"match": {"command_regex": "rm (-rf"}}, "match.command_regex", "invalid regex"),
        ({"match": {"edit_regex": "[z-a]"}}, "match.edit_regex", "invalid regex"),
        ({"match": {"comand_regex": "x"}}, "match.comand_regex", "unknown field"),
        ({"severity": "urgent"}, "severity", "'critical'"),
        ({"kind": "evil"}, "kind", "'unsafe'"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"max_penalty_total": -1}, "max_penalty_total", "greater than or equal"),
        ({"match": {}}, "match", "at least one of"),
        ({"match": {"access": ["write"], "tool": ["x"]}}, "match", "access only applies"),
        ({"match": {"path_glob": ["a"], "access": ["rename"]}}, "match.access", "'read'"),
        ({"match": {"path_glob": ""}}, "match.path_glob", "empty path glob"),
    ],
)
def test_bad_rule_names_file_rule_and_field(
    tmp_path: Path, change: dict, field: str, words: str
) -> None:
    path = write(tmp_path, {"rules": [GOOD | change]})
    with pytest.raises(ConfigError) as err:
        load_rules(path, include_default=False)
    msg = str(err.value)
    assert str(path) in msg and "'my.rule'" in msg and f"field {field}" in msg, msg
    assert words in msg, msg


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid YAML"):
        bad = tmp_path / "bad.yaml"
        bad.write_text("rules: [\n", encoding="utf-8")
        load_rules(bad)
    with pytest.raises(ConfigError, match="unknown top-level"):
        load_rules(write(tmp_path, {"rulez": []}))
    with pytest.raises(ConfigError, match="defined twice"):
        load_rules(write(tmp_path, {"rules": [GOOD, GOOD]}))
    with pytest.raises(ConfigError, match="unknown rule 'nope'"):
        load_rules(write(tmp_path, {"disable": ["nope"]}))
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="needs match, sequence or metrics"):
        load_rules(write(tmp_path, {"rules": [{"id": "x", "description": "d", "kind": "probe"}]}))
    with pytest.raises(ConfigError, match="one or the other"):
        seq = {"first": {"tool": "a"}, "then": {"tool": "b"}}
        load_rules(write(tmp_path, {"rules": [GOOD | {"sequence": seq}]}))
    with pytest.raises(ConfigError, match="rules\\[0\\] must be a mapping"):
        load_rules(write(tmp_path, {"rules": ["x"]}))


def test_new_rule_is_missing_a_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"rules": [{"id": "new.rule", "kind": "unsafe", "match": {"tool": "x"}}]}
    )
    with pytest.raises(ConfigError, match=r"rule 'new.rule': field description: Field required"):
        load_rules(path)


def test_user_files_override_defaults_by_id_and_disable(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        {
            "rules": [
                GOOD,
                {"id": "unsafe.privilege", "penalty": 0.9, "severity": "high"},
                {"id": "unsafe.git_push", "enabled": False},
            ]
        },
        "a.yaml",
    )
    second = write(
        tmp_path,
        {"disable": ["network.http_client"], "rules": [{"id": "my.rule", "penalty": 2}]},
        "b.yaml",
    )
    rules = {r.id: r for r in load_rules(first, second)}
    assert len(rules) == len(default_rules()) + 1
    assert rules["unsafe.privilege"].penalty == 0.9 and rules["unsafe.privilege"].severity == "high"
    assert rules["unsafe.privilege"].match == next(
        r.match for r in default_rules() if r.id == "unsafe.privilege"
    )
    assert rules["my.rule"].penalty == 2 and rules["my.rule"].severity == "low"
    monitor = Monitor(rules.values())

    def ids(cmd: str) -> set[str]:
        return {
            f.rule_id for f in monitor.check_call(ToolCall(name="bash", arguments={"command": cmd}))
        }

    assert ids("git push") == set()
    assert ids("curl http://example.com") == set()
    assert ids("make deploy") == {"my.rule"}
    assert ids("sudo ls") == {"unsafe.privilege"}
    flags = monitor.check_call(ToolCall(name="bash", arguments={"command": "sudo ls"}))
    assert flags[0].penalty == 0.9 and flags[0].severity == "high"


def test_monitor_from_files_without_defaults(tmp_path: Path) -> None:
    monitor = Monitor.from_files(write(tmp_path, {"rules": [GOOD]}), include_default=False)
    assert [r.id for r in monitor.rules] == ["my.rule"]


def test_default_yaml_round_trips() -> None:
    rules = default_rules()
    text = dump_rules(rules)
    again = parse_rules(yaml.safe_load(text), "dumped")
    assert again == rules
    assert dump_rules(again) == text


def test_round_trip_keeps_disabled_and_overrides(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, {"disable": ["unsafe.privilege"], "rules": [GOOD]}))
    again = load_rules(
        write(tmp_path, yaml.safe_load(dump_rules(rules)), "d.yaml"), include_default=False
    )
    assert again == rules
    assert not next(r for r in again if r.id == "unsafe.privilege").enabled


def test_default_rules_file_is_bundled() -> None:
    assert default_rules_path().name == "default.yaml" and default_rules_path().is_file()
    assert all(isinstance(r, Rule) for r in default_rules())
    ids = [r.id for r in default_rules()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("tests/**", "tests", True),
        ("tests/**", "tests/a/b.py", True),
        ("tests/**", "src/tests/a.py", False),
        ("**/tests/**", "src/tests/a.py", True),
        ("test_*.py", "test_core.py", True),
        ("test_*.py", "test_dir/x.py", False),
        ("/**", "/", True),
        ("/*", "/etc", True),
        ("/*", "/etc/hosts", False),
        ("*.{txt,json}", "reward.json", True),
        ("[!a]*", "b", True),
        ("[!a]*", "a", False),
        ("a?c", "abc", True),
        ("a[", "a[", True),
    ],
)
def test_glob_semantics(glob: str, path: str, hit: bool) -> None:
    import re

    assert bool(re.match(glob_to_regex(glob), path)) is hit
