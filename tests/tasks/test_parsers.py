"""Property tests for the small parsers and writers behind task files (Hypothesis)."""

from __future__ import annotations

import string
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from agentgym.tasks.nodeids import (
    check_node_id,
    format_hidden_test,
    node_file,
    parse_hidden_test,
)
from agentgym.tasks.patches import new_file_patch, patch_files
from agentgym.tasks.toml_writer import dumps

segment = st.text(string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=8).filter(
    lambda s: s not in {".", ".."}
)
rel_path = st.lists(segment, min_size=1, max_size=4).map("/".join)
ident = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
param = st.text(st.characters(blacklist_characters="\n\r\0"), max_size=12)


@given(rel_path, st.lists(ident, min_size=1, max_size=3), st.none() | param)
def test_valid_node_ids_accepted(path: str, names: list[str], params: str | None) -> None:
    node = f"{path}.py::" + "::".join(names) + (f"[{params}]" if params is not None else "")
    assert check_node_id(node) == node
    assert node_file(node) == f"{path}.py"


@given(st.text(max_size=40))
def test_node_id_checker_never_crashes(text: str) -> None:
    try:
        check_node_id(text)
    except ValueError:
        pass
    else:
        assert "::" in text and node_file(text).endswith(".py")


@given(rel_path, rel_path)
def test_hidden_test_round_trip(name: str, dest: str) -> None:
    entry = format_hidden_test(f"tests/{name}", dest)
    assert parse_hidden_test(entry) == (f"tests/{name}", dest)


@given(st.text(max_size=30))
def test_hidden_test_parser_never_crashes(text: str) -> None:
    try:
        task_file, dest = parse_hidden_test(text)
    except ValueError:
        return
    assert task_file.startswith("tests/") and not dest.startswith("/")


toml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
toml_scalar = (
    toml_text | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.booleans()
)
toml_value = toml_scalar | st.lists(toml_text, max_size=5)
toml_key = st.text(string.ascii_letters + "_-", min_size=1, max_size=10)


@given(
    st.dictionaries(toml_key, toml_value, max_size=4),
    st.dictionaries(toml_key, st.dictionaries(toml_key, toml_value, max_size=4), max_size=3),
)
def test_toml_writer_round_trip(top: dict, tables: dict) -> None:
    data = {**top, **{k: v for k, v in tables.items() if k not in top}}
    assert tomllib.loads(dumps(data)) == data


@given(st.dictionaries(rel_path, st.text(string.printable, max_size=60), min_size=1, max_size=3))
def test_new_file_patch_lists_new_files(files: dict[str, str]) -> None:
    patch = new_file_patch(files)
    assert patch_files(patch) == [(path, "new") for path in files]
