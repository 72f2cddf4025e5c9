"""Each harness's tools on a real (local, bubblewrap) sandbox: exact effects, harness framing,
and harness-style errors on misuse (nothing raises, nothing is half-applied)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from agentgym.sandbox import LocalSandbox, SandboxConfig
from agentgym.sandbox.base import Sandbox
from agentgym.scaffolds import load_profile
from agentgym.scaffolds.runtime import ScaffoldRuntime

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap is not installed")

SOURCE = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with LocalSandbox(SandboxConfig(type="local")) as sandbox:
        sandbox.run(
            "mkdir -p pkg && git init -q . && git config user.email a@b && git config user.name a",
            timeout=60,
        )
        sandbox.write_file(f"{sandbox.workdir}/pkg/calc.py", SOURCE.encode())
        sandbox.run("git add -A && git commit -qm init", timeout=60)
        yield sandbox


def tool(profile: str, name: str):
    return next(t for t in ScaffoldRuntime(load_profile(profile)).tools if t.name == name)


def read(sb: Sandbox, rel: str) -> str:
    return sb.read_file(f"{sb.workdir}/{rel}").decode()


def test_shell_framing_per_harness(sb):
    obs = tool("openhands", "execute_bash").execute(
        sb, {"command": "echo hi; exit 3", "security_risk": "LOW"}
    )
    assert obs.content.startswith("hi\n") and "[Command finished with exit code 3]" in obs.content
    assert f"[Current working directory: {sb.workdir}]" in obs.content
    obs = tool("codex-cli", "shell").execute(
        sb, {"command": ["bash", "-lc", "echo hi"], "workdir": sb.workdir}
    )
    data = json.loads(obs.content)
    assert data["output"] == "hi\n" and data["metadata"]["exit_code"] == 0
    obs = tool("mini-swe-agent", "bash").execute(sb, {"command": "echo hi"})
    assert obs.content == "<returncode>0</returncode>\n<output>\nhi\n\n</output>"
    obs = tool("swe-agent", "bash").execute(sb, {"command": "true"})
    assert (
        obs.content == "OBSERVATION:\nYour command ran successfully and did not produce any output."
    )
    obs = tool("cline", "execute_command").execute(
        sb, {"command": "echo hi", "requires_approval": False}
    )
    assert obs.content.startswith(
        "[execute_command for 'echo hi'] Result:\nCommand executed.\nOutput:\nhi"
    )


def test_subshell_harnesses_do_not_keep_cd(sb):
    bash = tool("mini-swe-agent", "bash")
    bash.execute(sb, {"command": "cd pkg"})
    assert "<output>\n" + sb.workdir in bash.execute(sb, {"command": "pwd"}).content
    oh = tool("openhands", "execute_bash")  # a persistent session: cd stays
    oh.execute(sb, {"command": "cd pkg", "security_risk": "LOW"})
    assert oh.execute(sb, {"command": "pwd", "security_risk": "LOW"}).content.startswith(
        f"{sb.workdir}/pkg"
    )


def test_long_output_is_framed_like_mini_swe_agent(sb):
    obs = tool("mini-swe-agent", "bash").execute(
        sb, {"command": "python3 -c 'print(\"x\" * 30000)'"}
    )
    assert "<warning>" in obs.content and "characters elided" in obs.content
    assert len(obs.content) < 12000


def test_marker_submits_only_on_success_in_v2_and_always_in_v1(sb):
    v2 = tool("mini-swe-agent", "bash")
    assert v2.execute(sb, {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"}).terminal
    assert not v2.execute(
        sb, {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT; false"}
    ).terminal
    v1 = tool("mini-swe-agent-v1", "bash")
    assert v1.execute(sb, {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT; false"}).terminal


def test_str_replace_editor_semantics_and_errors(sb):
    ed = tool("openhands", "str_replace_editor")
    base = {"security_risk": "LOW"}
    rel = ed.execute(sb, {**base, "command": "view", "path": "pkg/calc.py"})
    assert (
        rel.is_error
        and "is not an absolute path" in rel.content
        and rel.content.startswith("ERROR:\n")
    )
    path = f"{sb.workdir}/pkg/calc.py"
    multi = ed.execute(
        sb,
        {**base, "command": "str_replace", "path": path, "old_str": "return a - b", "new_str": "x"},
    )
    assert multi.is_error and "Multiple occurrences of old_str" in multi.content
    none = ed.execute(
        sb, {**base, "command": "str_replace", "path": path, "old_str": "nope", "new_str": "x"}
    )
    assert none.is_error and "did not appear verbatim" in none.content
    assert read(sb, "pkg/calc.py") == SOURCE
    ok = ed.execute(
        sb,
        {
            **base,
            "command": "str_replace",
            "path": path,
            "old_str": "add(a, b):\n    return a - b",
            "new_str": "add(a, b):\n    return a + b",
        },
    )
    assert not ok.is_error and "has been edited" in ok.content
    assert read(sb, "pkg/calc.py") == SOURCE.replace("a - b", "a + b", 1)
    undo = ed.execute(sb, {**base, "command": "undo_edit", "path": path})
    assert not undo.is_error and read(sb, "pkg/calc.py") == SOURCE
    exists = ed.execute(sb, {**base, "command": "create", "path": path, "file_text": "x"})
    assert exists.is_error and "Cannot overwrite files using command `create`" in exists.content
    missing = ed.execute(sb, {"command": "view", "path": path})  # security_risk is required
    assert missing.is_error


def test_codex_apply_patch_applies_or_changes_nothing(sb):
    ap = tool("codex-cli", "apply_patch")
    good = "*** Begin Patch\n*** Update File: pkg/calc.py\n@@ def add(a, b):\n-    return a - b\n+    return a + b\n*** Add File: pkg/new.py\n+X = 1\n*** End Patch"
    obs = ap.execute(sb, {"input": good})
    data = json.loads(obs.content)
    assert data["metadata"]["exit_code"] == 0 and "M pkg/calc.py\nA pkg/new.py" in data["output"]
    assert read(sb, "pkg/calc.py") == SOURCE.replace("a - b", "a + b", 1)
    assert read(sb, "pkg/new.py") == "X = 1\n"
    before = read(sb, "pkg/calc.py")
    bad = ap.execute(
        sb, {"input": "*** Begin Patch\n*** Update File: pkg/calc.py\n@@\n-nope\n+x\n*** End Patch"}
    )
    assert bad.is_error and json.loads(bad.content)["metadata"]["exit_code"] == 1
    assert "Failed to find expected lines" in json.loads(bad.content)["output"]
    assert read(sb, "pkg/calc.py") == before
    # Codex's shell intercepts ["apply_patch", PATCH] too
    via_shell = tool("codex-cli", "shell").execute(
        sb,
        {"command": ["apply_patch", "*** Begin Patch\n*** Delete File: pkg/new.py\n*** End Patch"]},
    )
    assert "D pkg/new.py" in json.loads(via_shell.content)["output"]
    outside = ap.execute(
        sb, {"input": "*** Begin Patch\n*** Add File: ../escape.py\n+x\n*** End Patch"}
    )
    assert outside.is_error and "outside the workspace" in outside.content


def test_cline_tools(sb):
    rif = tool("cline", "replace_in_file")
    bad = rif.execute(
        sb, {"path": "pkg/calc.py", "diff": "------- SEARCH\nnope\n=======\nx\n+++++++ REPLACE"}
    )
    assert bad.is_error and "The file was reverted to its original state" in bad.content
    assert f'<file_content path="pkg/calc.py">\n{SOURCE}' in bad.content
    assert bad.content.startswith(
        "[replace_in_file for 'pkg/calc.py'] Result:\nThe tool execution failed"
    )
    ok = rif.execute(
        sb,
        {
            "path": "pkg/calc.py",
            "diff": "------- SEARCH\ndef add(a, b):\n    return a - b\n=======\ndef add(a, b):\n    return a + b\n+++++++ REPLACE",
        },
    )
    assert not ok.is_error and "<final_file_content" in ok.content
    assert read(sb, "pkg/calc.py") == SOURCE.replace("a - b", "a + b", 1)
    w = tool("cline", "write_to_file").execute(sb, {"path": "deep/dir/f.txt", "content": "hello\n"})
    assert not w.is_error and read(sb, "deep/dir/f.txt") == "hello\n"
    missing = tool("cline", "execute_command").execute(sb, {"command": "ls"})
    assert (
        missing.is_error
        and "Missing value for required parameter 'requires_approval'" in missing.content
    )
    grep = tool("cline", "search_files").execute(sb, {"path": ".", "regex": "def (add|sub)"})
    assert "Found 2 results." in grep.content and "pkg/calc.py:1:def add" in grep.content
    done = tool("cline", "attempt_completion").execute(sb, {"result": "done"})
    assert done.terminal


def test_aider_block_and_opencode_tools(sb):
    edit = tool("aider", "edit")
    bad = edit.execute(sb, {"path": "pkg/calc.py", "search": "nope\n", "replace": "x\n"})
    assert bad.is_error and "SearchReplaceNoExactMatch" in bad.content
    ok = edit.execute(sb, {"path": "pkg/new_mod.py", "search": "", "replace": "X = 1\n"})
    assert (
        ok.content == "Applied edit to pkg/new_mod.py" and read(sb, "pkg/new_mod.py") == "X = 1\n"
    )
    oc_read = tool("opencode", "read").execute(sb, {"filePath": "pkg/calc.py", "limit": 2})
    assert oc_read.content.startswith("<file>\n00001| def add(a, b):\n00002|     return a - b")
    assert "Use 'offset' parameter to read beyond line 2" in oc_read.content
    oc_edit = tool("opencode", "edit")
    multi = oc_edit.execute(
        sb, {"filePath": "pkg/calc.py", "oldString": "return a - b", "newString": "x"}
    )
    assert multi.is_error and "Found multiple matches for oldString" in multi.content
    allx = oc_edit.execute(
        sb,
        {
            "filePath": "pkg/calc.py",
            "oldString": "return a - b",
            "newString": "return 0",
            "replaceAll": True,
        },
    )
    assert (
        allx.content == "Edit applied successfully."
        and read(sb, "pkg/calc.py").count("return 0") == 2
    )
    globbed = tool("opencode", "glob").execute(sb, {"pattern": "**/*.py"})
    assert "pkg/calc.py" in globbed.content.split("\n")
    todo = tool("opencode", "todowrite").execute(
        sb, {"todos": [{"content": "fix", "status": "pending", "priority": "high", "id": "1"}]}
    )
    assert json.loads(todo.content)[0]["content"] == "fix"


def test_no_side_effect_tools_change_nothing_and_swe_agent_reviews_before_submit(sb):
    status = sb.run("git status --porcelain", timeout=30).output
    think = tool("openhands", "think").execute(sb, {"thought": "rm -rf / would be bad"})
    plan = tool("codex-cli", "update_plan").execute(
        sb, {"plan": [{"step": "fix", "status": "in_progress"}]}
    )
    assert think.content == "Your thought has been logged." and plan.content == "Plan updated"
    assert sb.run("git status --porcelain", timeout=30).output == status
    submit = tool("swe-agent", "submit")
    sb.run("echo change >> pkg/calc.py", timeout=30)
    first = submit.execute(sb, {})
    assert not first.terminal and "+change" in first.content and "<diff>" in first.content
    assert submit.execute(sb, {}).terminal


def test_bad_arguments_are_harness_errors_not_exceptions(sb):
    outside = {"path": "/etc/passwd", "filePath": "/etc/passwd"}
    for profile in ("openhands", "swe-agent", "codex-cli", "cline", "opencode", "goose", "aider"):
        for t in ScaffoldRuntime(load_profile(profile)).tools:
            for args in ({}, {"zzz": 1}, outside):
                obs = t.execute(sb, args)
                assert isinstance(obs.content, str)
            if t.tdef.semantics in ("editor", "read_file", "write_file", "edit_file"):
                obs = t.execute(
                    sb,
                    {
                        **outside,
                        "command": "view",
                        "content": "x",
                        "security_risk": "LOW",
                        "oldString": "a",
                        "newString": "b",
                    },
                )
                assert obs.is_error and (
                    "outside the workspace" in obs.content or "Missing" in obs.content
                ), obs.content
