"""Tasks on tabulate 0.9.0 (pretty-print tabular data)."""

from __future__ import annotations

from pathlib import Path

from spec import Spec, remove_defs

LIB = "tabulate"
SRC = "tabulate/__init__.py"
OUT = "test/test_output.py"


def _remove_textile(repo: Path) -> None:
    src = repo / SRC
    remove_defs(src, ["_textile_row_with_attrs"])
    text = src.read_text()
    i = text.index('    "textile": TableFormat(')
    j = text.index('    "asciidoc": TableFormat(')
    src.write_text(text[:i] + text[j:])
    remove_defs(
        repo / OUT, ["test_textile", "test_textile_with_header", "test_textile_with_center_align"]
    )


PAD_OLD = [
    (
        '    fmt = "{0:>%ds}" % width\n    return fmt.format(s)\n',
        '    return _pad(width, s, ">")\n',
    ),
    (
        '    fmt = "{0:<%ds}" % width\n    return fmt.format(s)\n',
        '    return _pad(width, s, "<")\n',
    ),
    (
        '    fmt = "{0:^%ds}" % width\n    return fmt.format(s)\n',
        '    return _pad(width, s, "^")\n',
    ),
]

TASKS = [
    Spec(
        id="tabulate-pipe-center-colons",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["off-by-one", "markdown"],
        modules=[OUT],
        instruction="""
        pipe (Markdown) tables: centered columns get a separator one dash too long

        ```python
        >>> from tabulate import tabulate
        >>> print(tabulate([["a", 1]], headers=["x", "y"], tablefmt="pipe", colalign=("center", "right")))
        | x   |   y |
        |:---:|----:|
        ```

        The `:---:` segment of a centered column is one character wider than the column,
        so the separator line does not line up with the rows (Markdown renderers are fine
        with it, but the text looks broken). Left and right aligned columns are fine.
        """,
        edits=[
            (
                SRC,
                '        return ":" + ("-" * (w - 2)) + ":"\n',
                '        return ":" + ("-" * (w - 1)) + ":"\n',
            )
        ],
        hidden={
            "test/test_issue_pipe_center.py": """
            from tabulate import tabulate


            def test_center_segment_width():
                out = tabulate([["abc", 1]], headers=["x", "y"], tablefmt="pipe", colalign=("center", "right"))
                lines = out.splitlines()
                assert len({len(line) for line in lines}) == 1, out
                assert lines[1].startswith("|:---:|")


            def test_all_center():
                out = tabulate([["a", "b"]], headers=["h1", "h2"], tablefmt="pipe", stralign="center")
                assert len({len(line) for line in out.splitlines()}) == 1, out
            """
        },
    ),
    Spec(
        id="tabulate-negative-infinity",
        pack="bugfix",
        lib=LIB,
        tags=["missed-case", "numbers"],
        modules=["test/test_internal.py", "test/test_regression.py"],
        instruction="""
        "-inf" is not treated as a number

        In a column of numbers, the string `"-inf"` turns the whole column into text, so
        the numbers lose their decimal alignment, while `"inf"` and `"nan"` are fine:

        ```python
        >>> from tabulate import tabulate
        >>> print(tabulate([["1.5"], ["-inf"], ["10.25"]]))
        -----
        1.5
        -inf
        10.25
        -----
        ```

        Expected the column to be recognised as float (right/decimal aligned), as it is
        with `"inf"`.
        """,
        edits=[
            (
                SRC,
                '        return string.lower() in ["inf", "-inf", "nan"]\n',
                '        return string.lower() in ["inf", "nan"]\n',
            )
        ],
        hidden={
            "test/test_issue_negative_inf.py": """
            from tabulate import _isnumber, _type, tabulate


            def test_negative_inf_is_number():
                assert _isnumber("-inf")
                assert _type("-inf") is float


            def test_column_stays_numeric():
                out = tabulate([["1.5"], ["-inf"], ["10.25"]])
                assert out.splitlines()[1] == "   1.5"
            """
        },
    ),
    Spec(
        id="tabulate-intfmt-ignored",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["missed-case", "formatting"],
        modules=[OUT],
        instruction="""
        `intfmt` has no effect

        ```python
        >>> print(tabulate([[10000], [10]], intfmt=","))
        -----
        10000
           10
        -----
        ```

        Expected `10,000`. `floatfmt` works for float columns.
        """,
        edits=[
            (
                SRC,
                "    elif valtype is int:\n        return format(val, intfmt)\n",
                '    elif valtype is int:\n        return f"{val}"\n',
            )
        ],
    ),
    Spec(
        id="tabulate-rename-separated-format",
        pack="refactor",
        lib=LIB,
        tags=["rename", "deprecation"],
        modules=["test/test_api.py", "test/test_regression.py", OUT],
        instruction="""
        Rename `simple_separated_format` to `separated_format`

        Please rename the public function `tabulate.simple_separated_format(separator)` to
        `tabulate.separated_format(separator)` and list the new name in `__all__`.

        `simple_separated_format` must keep working as a deprecated alias with the same
        signature (one parameter `separator`), returning the same `TableFormat`, and
        emitting a `DeprecationWarning` that mentions `separated_format`. Keep it in
        `__all__` too. The existing tests must keep passing.
        """,
        edits=[
            (
                SRC,
                '__all__ = ["tabulate", "tabulate_formats", "simple_separated_format"]',
                '__all__ = ["tabulate", "tabulate_formats", "separated_format", "simple_separated_format"]',
            ),
            (
                SRC,
                "def simple_separated_format(separator):\n",
                "def separated_format(separator):\n",
            ),
            (
                SRC,
                '    >>> tsv = simple_separated_format("\\\\t") ; \\\n',
                '    >>> tsv = separated_format("\\\\t") ; \\\n',
            ),
            (
                SRC,
                "def _isnumber_with_thousands_separator(string):\n",
                "def simple_separated_format(separator):\n"
                '    """Deprecated alias of :func:`separated_format`."""\n'
                "    warnings.warn(\n"
                '        "simple_separated_format is deprecated; use separated_format",\n'
                "        DeprecationWarning,\n"
                "        stacklevel=2,\n"
                "    )\n"
                "    return separated_format(separator)\n\n\n"
                "def _isnumber_with_thousands_separator(string):\n",
            ),
            (SRC, "import math\n", "import math\nimport warnings\n"),
        ],
        hidden={
            "test/test_refactor_separated_format.py": """
            import inspect

            import pytest

            import tabulate as tab


            def test_new_name():
                fmt = tab.separated_format("!")
                assert tab.tabulate([[1, 2]], tablefmt=fmt) == "1!2"
                assert "separated_format" in tab.__all__


            def test_alias_warns_and_matches():
                with pytest.warns(DeprecationWarning, match="separated_format"):
                    old = tab.simple_separated_format("!")
                assert old == tab.separated_format("!")
                assert list(inspect.signature(tab.simple_separated_format).parameters) == ["separator"]
            """
        },
    ),
    Spec(
        id="tabulate-dedupe-padding",
        pack="refactor",
        lib=LIB,
        difficulty="easy",
        tags=["remove-duplication"],
        modules=["test/test_internal.py", OUT],
        instruction="""
        One padding helper instead of three copies

        `_padleft`, `_padright` and `_padboth` in `tabulate/__init__.py` each build a format
        string by hand (`"{0:>%ds}" % width`, `"<"`, `"^"`). Please add one private helper
        `_pad(width, s, align)` (with `align` one of `"<"`, `">"`, `"^"`) that does the
        padding, and make the three functions one-line calls to it. Behaviour must not
        change, including for non-ASCII strings.
        """,
        edits=[
            *[(SRC, old, new) for old, new in PAD_OLD],
            (
                SRC,
                "def _padleft(width, s):\n",
                "def _pad(width, s, align):\n"
                '    """Pad ``s`` to ``width`` characters; ``align`` is "<", ">" or "^"."""\n'
                '    return ("{0:%s%ds}" % (align, width)).format(s)\n\n\n'
                "def _padleft(width, s):\n",
            ),
        ],
        hidden={
            "test/test_refactor_pad.py": """
            import ast
            import pathlib

            import tabulate

            TREE = ast.parse(pathlib.Path(tabulate.__file__).read_text())
            FUNCS = {n.name: n for n in TREE.body if isinstance(n, ast.FunctionDef)}


            def test_helper():
                assert tabulate._pad(5, "ab", ">") == "   ab"
                assert tabulate._pad(5, "ab", "<") == "ab   "
                assert tabulate._pad(6, "ab", "^") == "  ab  "


            def test_wrappers_delegate():
                for name in ("_padleft", "_padright", "_padboth"):
                    calls = [c.func.id for c in ast.walk(FUNCS[name])
                             if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)]
                    assert "_pad" in calls, name
                    body = [s for s in FUNCS[name].body if not isinstance(s, ast.Expr)]
                    assert len(body) == 1, name


            def test_format_spec_not_duplicated():
                for name in ("_padleft", "_padright", "_padboth"):
                    consts = [c.value for c in ast.walk(FUNCS[name]) if isinstance(c, ast.Constant)]
                    assert not [v for v in consts if isinstance(v, str) and "%ds" in v], name
            """
        },
    ),
    Spec(
        id="tabulate-add-textile",
        pack="feature",
        lib=LIB,
        tags=["new-format"],
        modules=[OUT, "test/test_api.py"],
        instruction="""
        Support Textile output (`tablefmt="textile"`)

        Please add a `"textile"` table format (it must appear in `tabulate_formats`).
        Textile rows look like `|<. spam  |>.  41.9999 |`: each data cell is prefixed with
        its alignment (`<.` left, `>.` right or decimal, `=.` center), cells are separated
        by `|`, padding is one space, and the first cell gets one extra trailing space.
        The header row uses `|_. ` at the start and `|_.` between cells. No horizontal
        lines.

        ```python
        >>> print(tabulate([["spam", 41.9999], ["eggs", "451.0"]], ["strings", "numbers"], tablefmt="textile"))
        |_.  strings   |_.   numbers |
        |<. spam       |>.   41.9999 |
        |<. eggs       |>.  451      |
        ```
        """,
        transform=_remove_textile,
        hidden={
            "test/test_feature_textile.py": """
            from tabulate import tabulate, tabulate_formats

            TABLE = [["spam", 41.9999], ["eggs", "451.0"]]


            def test_listed():
                assert "textile" in tabulate_formats


            def test_textile():
                result = tabulate(TABLE, tablefmt="textile")
                assert result == "|<. spam  |>.  41.9999 |\\n|<. eggs  |>. 451      |"


            def test_textile_with_header():
                result = tabulate(TABLE, ["strings", "numbers"], tablefmt="textile")
                expected = (
                    "|_.  strings   |_.   numbers |\\n"
                    "|<. spam       |>.   41.9999 |\\n"
                    "|<. eggs       |>.  451      |"
                )
                assert result == expected


            def test_textile_with_center_align():
                result = tabulate(TABLE, tablefmt="textile", stralign="center")
                assert result == "|=. spam  |>.  41.9999 |\\n|=. eggs  |>. 451      |"
            """
        },
    ),
]
