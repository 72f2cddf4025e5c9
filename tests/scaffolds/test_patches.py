"""Patch formats: Codex V4A, unified diffs, SEARCH/REPLACE blocks; generated and malformed."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentgym.scaffolds.patches import (
    DictFiles,
    PatchError,
    apply_unified,
    apply_v4a,
    parse_marker_blocks,
    parse_v4a,
    replace_once,
)

ORIGINAL = "def f(x):\n    a = 1\n    b = 2\n    return a + b + x\n\n\ndef g():\n    return 0\n"


def test_v4a_update_add_delete_and_move():
    files = DictFiles({"pkg/a.py": ORIGINAL, "old.txt": "bye\n", "m.py": "x = 1\n"})
    patch = (
        "*** Begin Patch\n"
        "*** Update File: pkg/a.py\n"
        "@@ def f(x):\n"
        "     a = 1\n"
        "-    b = 2\n"
        "+    b = 3\n"
        "     return a + b + x\n"
        "@@ def g():\n"
        "-    return 0\n"
        "+    return 42\n"
        "*** Add File: new/hello.txt\n"
        "+Hello\n"
        "+world\n"
        "*** Delete File: old.txt\n"
        "*** Update File: m.py\n"
        "*** Move to: n.py\n"
        "@@\n"
        "-x = 1\n"
        "+x = 2\n"
        "*** End Patch\n"
    )
    summary = apply_v4a(patch, files)
    assert summary == ["M pkg/a.py", "A new/hello.txt", "D old.txt", "M n.py"]
    assert files.files["pkg/a.py"] == ORIGINAL.replace("b = 2", "b = 3").replace(
        "return 0", "return 42"
    )
    assert files.files["new/hello.txt"] == "Hello\nworld\n"
    assert "old.txt" not in files.files and "m.py" not in files.files
    assert files.files["n.py"] == "x = 2\n"


def test_v4a_end_of_file_and_whitespace_tolerant_context():
    files = DictFiles({"a.py": "x = 1\ny = 2   \nz = 3\n"})
    apply_v4a(
        "*** Begin Patch\n*** Update File: a.py\n@@\n y = 2\n-z = 3\n+z = 4\n*** End of File\n*** End Patch",
        files,
    )
    # As in Codex, the matched lines (context included) are replaced by the hunk's lines.
    assert files.files["a.py"] == "x = 1\ny = 2\nz = 4\n"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("*** Update File: a.py\n@@\n-x\n+y\n*** End Patch", "first line of the patch must be"),
        (
            "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+y\n",
            "last line of the patch must be",
        ),
        ("*** Begin Patch\n*** Frobnicate: a.py\n*** End Patch", "is not a valid hunk header"),
        ("*** Begin Patch\n*** Update File: a.py\n@@\n?x = 1\n*** End Patch", "Unexpected line"),
        (
            "*** Begin Patch\n*** Update File: /etc/passwd\n@@\n-x\n*** End Patch",
            "only be relative",
        ),
        (
            "*** Begin Patch\n*** Update File: a.py\n@@\n-nope\n+y\n*** End Patch",
            "Failed to find expected lines in a.py",
        ),
        (
            "*** Begin Patch\n*** Update File: missing.py\n@@\n-x\n+y\n*** End Patch",
            "Failed to read file to update missing.py",
        ),
        ("*** Begin Patch\n*** Delete File: missing.py\n*** End Patch", "Failed to delete file"),
        ("*** Begin Patch\n*** End Patch", "no file operations"),
        ("*** Begin Patch\n*** Update File: a.py\n*** End Patch", "is empty"),
    ],
)
def test_v4a_malformed_patches_change_nothing(patch, message):
    files = DictFiles({"a.py": "x = 1\n", "b.py": "keep\n"})
    before = dict(files.files)
    with pytest.raises(PatchError, match=message):
        apply_v4a(patch, files)
    assert files.files == before


def test_v4a_failing_second_file_leaves_first_untouched():
    files = DictFiles({"a.py": "x = 1\n", "b.py": "y = 1\n"})
    patch = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** Update File: b.py\n@@\n-nope\n*** End Patch"
    with pytest.raises(PatchError):
        apply_v4a(patch, files)
    assert files.files == {"a.py": "x = 1\n", "b.py": "y = 1\n"}


lines_st = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
    min_size=1,
    max_size=25,
)


def _v4a_from(old: list[str], new: list[str], path: str) -> str:
    """A V4A patch for old -> new, built from difflib opcodes (context of 3 lines)."""
    out = ["*** Begin Patch", f"*** Update File: {path}"]
    for group in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_grouped_opcodes(3):
        out.append("@@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [f" {x}" for x in old[i1:i2]]
            if tag in ("replace", "delete"):
                out += [f"-{x}" for x in old[i1:i2]]
            if tag in ("replace", "insert"):
                out += [f"+{x}" for x in new[j1:j2]]
    out.append("*** End Patch")
    return "\n".join(out)


@settings(max_examples=150, deadline=None)
@given(old=lines_st, new=lines_st)
def test_v4a_generated_patches_apply(old, new):
    # Unique lines: V4A locates hunks by content, so repeated context may match elsewhere.
    old = [f"{i}:{x}" for i, x in enumerate(old)]
    new = [f"{i}:{x}" if i % 3 else f"n{i}:{x}" for i, x in enumerate(new)]
    files = DictFiles({"f.txt": "\n".join(old) + "\n"})
    if old == new:
        return
    apply_v4a(_v4a_from(old, new, "f.txt"), files)
    assert files.files["f.txt"] == "\n".join(new) + "\n"


@settings(max_examples=150, deadline=None)
@given(old=lines_st, new=lines_st, context=st.integers(0, 3))
def test_unified_generated_diffs_apply(old, new, context):
    a = [x + "\n" for x in old]
    b = [x + "\n" for x in new]
    diff = "".join(difflib.unified_diff(a, b, "a/f.txt", "b/f.txt", n=context))
    if not diff:
        return
    files = DictFiles({"f.txt": "".join(a)})
    try:
        apply_unified(diff, files)
    except PatchError as exc:  # zero context can be ambiguous: never a silent wrong result
        assert "matches more than one place" in str(exc) or "does not match" in str(exc)
        return
    assert files.files["f.txt"] == "".join(b)


def test_unified_new_and_deleted_files_and_malformed():
    files = DictFiles({"gone.txt": "x\n"})
    apply_unified("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n", files)
    apply_unified("--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n", files)
    assert files.files == {"new.txt": "a\nb\n"}
    with pytest.raises(PatchError, match="no file headers"):
        apply_unified("just text", files)
    with pytest.raises(PatchError, match="truncated hunk"):
        apply_unified("--- a/new.txt\n+++ b/new.txt\n@@ -1,3 +1,3 @@\n a\n", files)
    with pytest.raises(PatchError, match="does not match"):
        apply_unified("--- a/new.txt\n+++ b/new.txt\n@@ -1 +1 @@\n-zzz\n+y\n", files)


def test_marker_blocks_both_marker_styles_and_errors():
    cline = "------- SEARCH\nold\n=======\nnew\n+++++++ REPLACE"
    aider_like = "<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE"
    assert parse_marker_blocks(cline) == [("old\n", "new\n")]
    assert parse_marker_blocks(aider_like) == [("old\n", "new\n")]
    assert parse_marker_blocks(cline + "\n" + cline) == [("old\n", "new\n")] * 2
    with pytest.raises(PatchError, match="not closed"):
        parse_marker_blocks("------- SEARCH\nold\n")
    with pytest.raises(PatchError, match="outside a SEARCH/REPLACE block"):
        parse_marker_blocks("hello\n" + cline)
    with pytest.raises(PatchError, match="no SEARCH/REPLACE blocks"):
        parse_marker_blocks("")


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.text(max_size=40),
    target=st.text(min_size=1, max_size=20),
    suffix=st.text(max_size=40),
    repl=st.text(max_size=20),
)
def test_replace_once_replaces_the_first_exact_match(prefix, target, suffix, repl):
    content = prefix + target + suffix
    out = replace_once(content, target, repl)
    at = content.find(target)
    assert out == content[:at] + repl + content[at + len(target) :]


def test_replace_once_trailing_whitespace_and_missing():
    assert replace_once("a  \nb\n", "a\nb\n", "c\n") == "c\n"
    with pytest.raises(PatchError, match="not found"):
        replace_once("abc", "zzz", "y", path="f.py")
    assert replace_once("", "", "new\n") == "new\n"


def test_parse_v4a_keeps_headers_and_blank_context_lines():
    (op,) = parse_v4a(
        "*** Begin Patch\n*** Update File: a.py\n@@ class A\n@@ def f\n x\n\n-y\n+z\n*** End Patch"
    )
    assert op.chunks[0].headers == ["class A", "def f"]
    assert op.chunks[0].old == ["x", "", "y"] and op.chunks[0].new == ["x", "", "z"]


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(
        st.tuples(
            st.lists(line_text := st.text(alphabet="abc xyz_()", max_size=10), max_size=4),
            st.lists(line_text, max_size=4),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_marker_blocks_round_trip(blocks):
    text = "\n".join(
        "------- SEARCH\n"
        + "".join(f"{x}\n" for x in s)
        + "=======\n"
        + "".join(f"{x}\n" for x in r)
        + "+++++++ REPLACE"
        for s, r in blocks
    )
    assert parse_marker_blocks(text) == [
        ("".join(f"{x}\n" for x in s), "".join(f"{x}\n" for x in r)) for s, r in blocks
    ]


@settings(max_examples=150, deadline=None)
@given(old=lines_st, new=lines_st)
def test_oracle_hunks_convert_to_a_v4a_patch_that_applies(old, new):
    """The oracle's unified-diff -> V4A conversion (agentgym.policies.interfaces) is exact."""
    from agentgym.policies.interfaces import hunks_of, v4a_patch

    old = [f"{i}:{x}" for i, x in enumerate(old)]
    new = [f"{i}:{x}" if i % 2 else f"n{i}:{x}" for i, x in enumerate(new)]
    diff = "".join(
        difflib.unified_diff([x + "\n" for x in old], [x + "\n" for x in new], "a/f.txt", "b/f.txt")
    )
    if not diff:
        return
    files = DictFiles({"f.txt": "\n".join(old) + "\n"})
    apply_v4a(v4a_patch(hunks_of(diff)), files)
    assert files.files["f.txt"] == "\n".join(new) + "\n"
