"""Profiles: load, validate, round-trip; coverage of harnesses and action styles; the CLI."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from agentgym.cli import app
from agentgym.errors import ConfigError
from agentgym.scaffolds import (
    STYLES,
    dump_profile,
    load_profile,
    parse_profile,
    profile_names,
    resolve_names,
)
from agentgym.scaffolds.runtime import ScaffoldRuntime

NAMES = profile_names()


def test_at_least_eight_profiles_and_six_action_styles():
    assert len(NAMES) >= 8
    styles = {s for n in NAMES for s in load_profile(n).action_styles}
    assert len(styles) >= 6
    # the styles the issue names, each carried by at least one profile
    for style in (
        "shell_tool",
        "str_replace_editor",
        "apply_patch_v4a",
        "whole_file_write",
        "search_replace_text",
        "fenced_bash_text",
        "xml_tool_text",
        "split_read_grep_glob",
        "todo_plan",
        "think",
        "finish_tool",
    ):
        assert style in styles, style
    assert set(styles) <= set(STYLES)
    assert {load_profile(n).placement for n in NAMES} == {"native", "text"}


@pytest.mark.parametrize("name", NAMES)
def test_profile_round_trips_and_cites_its_source(name):
    p = load_profile(name)
    text = dump_profile(p)
    again = parse_profile(text)
    assert again == p
    assert dump_profile(again) == text
    assert p.version and p.sources and all(s.paths and s.ref for s in p.sources)
    rt = ScaffoldRuntime(p)
    system, user = rt.system_prompt(), rt.user_message("Fix the bug.")
    assert "Fix the bug." in user and "{" not in system.replace("{{", "")
    assert p.tool("shell") is not None


@pytest.mark.parametrize("name", NAMES)
def test_declared_styles_match_the_tools(name):
    p = load_profile(name)
    semantics = {t.semantics for t in p.tools}
    expect = {
        "str_replace_editor": {"editor"},
        "apply_patch_v4a": {"apply_patch"},
        "split_read_grep_glob": {"read_file", "grep"},
        "todo_plan": {"todo"},
        "think": {"think"},
        "finish_tool": {"submit"},
        "shell_tool": {"shell"},
    }
    for style in p.action_styles:
        assert expect.get(style, set()) <= semantics, (style, semantics)
    if "fenced_bash_text" in p.action_styles:
        assert p.text_actions and p.text_actions.style == "fenced"
    if "xml_tool_text" in p.action_styles:
        assert p.text_actions and p.text_actions.style == "xml"
    if "search_replace_text" in p.action_styles and p.placement == "text":
        assert p.text_actions and p.text_actions.style in ("search_replace", "xml")


def _base() -> dict:
    return yaml.safe_load(dump_profile(load_profile("swe-agent")))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(surprise=1), "Extra inputs are not permitted"),
        (lambda d: d.update(placement="text"), "text_actions is required"),
        (lambda d: d.update(system_prompt="hi {nope}"), "unknown placeholder"),
        (lambda d: d["tools"].pop(0), "needs a shell tool"),
        (lambda d: d["tools"][0].update(name="bad name!"), "must match"),
        (lambda d: d["tools"][0].update(args={"command": "cmd"}), "not a parameter"),
        (lambda d: d["tools"].append(dict(d["tools"][0])), "duplicate tool names"),
        (lambda d: d.update(finish={"style": "marker"}), "needs finish.marker"),
        (lambda d: d["tools"][0].update(semantics="teleport"), "semantics"),
    ],
)
def test_invalid_profiles_are_clear_errors(mutate, message):
    data = _base()
    mutate(data)
    with pytest.raises(ConfigError, match=message):
        parse_profile(yaml.safe_dump(data), "x.yaml")


def test_unknown_names_and_resolution():
    with pytest.raises(ConfigError, match="did you mean"):
        load_profile("open-hands")
    assert resolve_names("all") == NAMES
    assert resolve_names("aider, cline") == ["aider", "cline"]
    with pytest.raises(ConfigError):
        resolve_names("aider,nope")


def test_cli_list_and_show(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["scaffolds", "list", "--json"])
    assert res.exit_code == 0, res.output
    assert len(yaml.safe_load(res.output)) == len(NAMES)
    res = runner.invoke(app, ["scaffolds", "show", "codex-cli"])
    assert res.exit_code == 0 and parse_profile(res.output) == load_profile("codex-cli")
    res = runner.invoke(app, ["scaffolds", "show", "cline", "--prompt"])
    assert res.exit_code == 0 and "<execute_command>" in res.output and "<task>" in res.output
    res = runner.invoke(app, ["scaffolds", "show", "nope"])
    assert res.exit_code == 1 and "unknown scaffold profile" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    res = runner.invoke(app, ["scaffolds", "validate", str(bad)])
    assert res.exit_code == 1 and "invalid" in res.output
