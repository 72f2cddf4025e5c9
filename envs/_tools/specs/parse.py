"""Tasks on parse 1.20.2 (the reverse of str.format)."""

from __future__ import annotations

import re
from pathlib import Path

from spec import After, Spec

LIB = "parse"
SRC = "parse.py"
ALL = [
    "tests/test_bugs.py",
    "tests/test_findall.py",
    "tests/test_parse.py",
    "tests/test_parsetype.py",
    "tests/test_pattern.py",
    "tests/test_result.py",
    "tests/test_search.py",
]


def _modern_classes(repo: Path) -> None:
    path = repo / SRC
    text = path.read_text()
    text, count = re.subn(r"^class (\w+)\(object\):", r"class \1:", text, flags=re.M)
    assert count == 4, count
    text = text.replace("\n    # pre-py3k compat\n    next = __next__\n", "\n")
    path.write_text(text)


TASKS = [
    Spec(
        id="parse-int-short-hex",
        pack="bugfix",
        lib=LIB,
        tags=["boundary", "off-by-one"],
        modules=["tests/test_parse.py", "tests/test_parsetype.py"],
        instruction="""
        `{:d}` reads one-digit hex/octal/binary literals as 0

        ```python
        >>> import parse
        >>> parse.parse("{:d}", "0x1f")[0]
        31
        >>> parse.parse("{:d}", "0xf")[0]
        0
        >>> parse.parse("{:d}", "0b1")[0]
        0
        ```

        Prefixed integers with a single digit after the prefix are not recognised as
        hex/octal/binary. I expected 15 and 1.
        """,
        edits=[
            (
                SRC,
                '            if string[number_start] == "0" and len(string) - number_start > 2:',
                '            if string[number_start] == "0" and len(string) - number_start > 3:',
            )
        ],
        hidden={
            "tests/test_issue_short_prefixed_ints.py": """
            import pytest

            import parse


            @pytest.mark.parametrize(
                "text,value", [("0xf", 15), ("0b1", 1), ("0o7", 7), ("-0xa", -10), ("0x1f", 31)]
            )
            def test_short_prefixed(text, value):
                assert parse.parse("{:d}", text)[0] == value
            """
        },
    ),
    Spec(
        id="parse-negative-prefixed-int",
        pack="bugfix",
        lib=LIB,
        tags=["missed-case", "wrong-branch"],
        modules=["tests/test_parse.py", "tests/test_parsetype.py"],
        instruction="""
        Negative hex numbers parse to the wrong value

        ```python
        >>> parse.parse("{:d}", "-0x1f")[0]
        -1
        >>> parse.parse("{:d}", "+0x1f")[0]
        31
        ```

        `-0x1f` should give -31; negative decimal numbers (`"-12"`) are fine.
        """,
        edits=[
            (
                SRC,
                '        if string[0] == "-":\n            sign = -1\n            number_start = 1\n',
                '        if string[0] == "-":\n            sign = -1\n            number_start = 0\n',
            )
        ],
        hidden={
            "tests/test_issue_negative_hex.py": """
            import parse


            def test_negative_hex():
                assert parse.parse("{:d}", "-0x1f")[0] == -31


            def test_negative_binary():
                assert parse.parse("{:d}", "-0b101")[0] == -5


            def test_negative_decimal_still_fine():
                assert parse.parse("{:d}", "-12")[0] == -12
            """
        },
    ),
    Spec(
        id="parse-findall-misses-last-char",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["off-by-one"],
        modules=["tests/test_findall.py", "tests/test_search.py"],
        instruction="""
        findall() drops a match that ends at the very end of the string

        ```python
        >>> [r[0] for r in parse.findall("<{}>", "<a> <b> <c>")]
        ['a', 'b']
        ```

        Expected `['a', 'b', 'c']`. If I add a trailing space to the string, `c` is found.
        `search()` does not have this problem.
        """,
        edits=[
            (
                SRC,
                After("    def findall(\n", "            endpos = len(string)\n"),
                "            endpos = len(string) - 1\n",
            )
        ],
    ),
    Spec(
        id="parse-nested-dict-fields",
        pack="bugfix",
        lib=LIB,
        tags=["wrong-variable"],
        modules=["tests/test_pattern.py", "tests/test_parse.py"],
        instruction="""
        Dict-style field names deeper than one level are flattened

        ```python
        >>> r = parse.parse("{a[b][c]}", "x")
        >>> r.named
        {'a': {}, 'b': {}, 'c': 'x'}
        ```

        I expected `{'a': {'b': {'c': 'x'}}}`. One level (`{a[b]}`) works.
        """,
        edits=[
            (
                SRC,
                "                    d = d.setdefault(k, {})\n",
                "                    d = result.setdefault(k, {})\n",
            )
        ],
    ),
    Spec(
        id="parse-result-slices",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["missed-case"],
        modules=["tests/test_result.py", "tests/test_parse.py"],
        instruction="""
        Slicing a parse Result raises KeyError

        ```python
        >>> r = parse.parse("{} {} {}", "a b c")
        >>> r[0]
        'a'
        >>> r[1:]
        KeyError: slice(1, None, None)
        ```

        The README says fixed results can be sliced; expected `('b', 'c')`.
        """,
        edits=[
            (
                SRC,
                "        if isinstance(item, (int, slice)):\n",
                "        if isinstance(item, int):\n",
            )
        ],
    ),
    Spec(
        id="parse-modernize-classes",
        pack="refactor",
        lib=LIB,
        difficulty="easy",
        tags=["replace-pattern", "py2-cleanup"],
        modules=ALL,
        instruction="""
        Drop the Python 2 leftovers in class definitions

        `parse.py` still declares its classes the Python 2 way (`class Parser(object):`)
        and keeps a `next = __next__` alias on `ResultIterator` for pre-py3k iteration.
        We only support Python 3 now: please declare every class without the explicit
        `object` base and remove the `next` alias. Nothing else should change.
        """,
        transform=_modern_classes,
        hidden={
            "tests/test_refactor_py3_classes.py": """
            import ast
            import pathlib

            import parse

            TREE = ast.parse(pathlib.Path(parse.__file__).read_text())


            def test_no_explicit_object_base():
                for node in ast.walk(TREE):
                    if isinstance(node, ast.ClassDef):
                        names = [b.id for b in node.bases if isinstance(b, ast.Name)]
                        assert "object" not in names, node.name


            def test_no_next_alias():
                assert not hasattr(parse.ResultIterator, "next")


            def test_iteration_still_works():
                assert [r[0] for r in parse.findall("<{}>", "<a><b>")] == ["a", "b"]
            """
        },
    ),
    Spec(
        id="parse-result-get",
        pack="feature",
        lib=LIB,
        start="pristine",
        difficulty="easy",
        tags=["new-method"],
        modules=["tests/test_result.py"],
        instruction="""
        Add `Result.get(key, default=None)`

        A `parse.Result` behaves partly like a mapping (`r["name"]`, `"name" in r`) but has
        no `get`. Please add `Result.get(key, default=None)`: return the value of the named
        field `key` or of the fixed field at integer index `key`, and `default` when there
        is no such field (no exception).

        ```python
        >>> r = parse.parse("{} {name}", "a b")
        >>> r.get("name"), r.get(0), r.get("other"), r.get(5, "-")
        ('b', 'a', None, '-')
        ```
        """,
        edits=[
            (
                SRC,
                "    def __contains__(self, name):\n        return name in self.named\n",
                "    def __contains__(self, name):\n        return name in self.named\n\n"
                "    def get(self, key, default=None):\n"
                '        """The named field ``key`` (or fixed field at index ``key``), else default."""\n'
                "        try:\n"
                "            return self[key]\n"
                "        except (KeyError, IndexError):\n"
                "            return default\n",
            )
        ],
        hidden={
            "tests/test_feature_result_get.py": """
            import parse


            def test_get_named_and_fixed():
                r = parse.parse("{} {name}", "a b")
                assert r.get("name") == "b"
                assert r.get(0) == "a"


            def test_get_missing():
                r = parse.parse("{} {name}", "a b")
                assert r.get("other") is None
                assert r.get(5, "-") == "-"
                assert r.get("other", 0) == 0


            def test_get_on_raw_result():
                r = parse.Result((1,), {"x": None}, None)
                assert r.get("x", "default") is None
            """
        },
    ),
]
