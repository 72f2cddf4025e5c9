"""Tasks on toolz 1.0.0 (functional utilities for iterables, functions and dicts)."""

from __future__ import annotations

from pathlib import Path

from spec import Spec

LIB = "toolz"
IT = "toolz/itertoolz.py"
DICT = "toolz/dicttoolz.py"
T_IT = "toolz/tests/test_itertoolz.py"
T_DICT = "toolz/tests/test_dicttoolz.py"
T_CUR = "toolz/tests/test_curried.py"


def _cut(path: Path, start: str, end: str) -> None:
    text = path.read_text()
    i = text.index(start)
    j = text.index(end, i)
    path.write_text(text[:i] + text[j:])


def _remove_peekn(repo: Path) -> None:
    _cut(repo / IT, "def peekn(n, seq):", "def random_sample(")
    _cut(repo / T_IT, "def test_peekn():", "def test_random_sample():")


TASKS = [
    Spec(
        id="toolz-partition-all-pad-leak",
        pack="bugfix",
        lib=LIB,
        tags=["wrong-index", "missed-case"],
        modules=[T_IT],
        instruction="""
        partition_all leaks an internal padding marker

        ```python
        >>> from toolz import partition_all
        >>> list(partition_all(2, [1, 2, 3]))
        [(1, 2), (3, '__no__pad__')]
        ```

        The last tuple should be shorter, `(3,)`, as documented. Inputs whose length is a
        multiple of `n` work.
        """,
        edits=[(IT, "    if prev[-1] is no_pad:\n", "    if prev[0] is no_pad:\n")],
    ),
    Spec(
        id="toolz-nth-iterator-off-by-one",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["off-by-one"],
        modules=[T_IT],
        instruction="""
        `nth` returns the wrong element for iterators

        ```python
        >>> from toolz import nth
        >>> nth(2, [10, 20, 30, 40])
        30
        >>> nth(2, iter([10, 20, 30, 40]))
        20
        ```

        Both should return 30 (`n` is zero-based). Lists and tuples are right; generators
        and other iterators are off by one.
        """,
        edits=[
            (
                IT,
                "        return next(itertools.islice(seq, n, None))\n",
                "        return next(itertools.islice(seq, n - 1, None))\n",
            )
        ],
        hidden={
            "toolz/tests/test_issue_nth_iter.py": """
            from toolz import nth


            def test_nth_on_generator():
                assert nth(2, (x * 10 for x in range(1, 5))) == 30


            def test_nth_zero_on_iterator():
                assert nth(0, iter("abc")) == "a"
            """
        },
    ),
    Spec(
        id="toolz-isdistinct-iterators",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["missed-case"],
        modules=[T_IT],
        instruction="""
        isdistinct() is always True for iterators

        ```python
        >>> from toolz import isdistinct
        >>> isdistinct([1, 2, 1])
        False
        >>> isdistinct(iter([1, 2, 1]))
        True
        ```

        The second call should be False as well.
        """,
        edits=[
            (
                IT,
                "            if item in seen:\n                return False\n            seen_add(item)\n",
                "            if item in seen:\n                return False\n",
            )
        ],
        hidden={
            "toolz/tests/test_issue_isdistinct_iter.py": """
            from toolz import isdistinct


            def test_generator_with_duplicates():
                assert isdistinct(x % 3 for x in range(5)) is False


            def test_generator_without_duplicates():
                assert isdistinct(x for x in range(5)) is True
            """
        },
    ),
    Spec(
        id="toolz-get-in-index-error",
        pack="bugfix",
        lib=LIB,
        tags=["missed-case", "exceptions"],
        modules=[T_DICT],
        instruction="""
        get_in raises IndexError instead of returning the default

        ```python
        >>> from toolz import get_in
        >>> get_in(["a", 5], {"a": [1, 2]}, default="missing")
        IndexError: list index out of range
        ```

        The docs say `get_in` returns `default` when the path does not exist (and raises
        only with `no_default=True`). Missing dict keys work; an out-of-range list index
        should behave the same way.
        """,
        edits=[
            (
                DICT,
                "    except (KeyError, IndexError, TypeError):\n",
                "    except (KeyError, TypeError):\n",
            )
        ],
        hidden={
            "toolz/tests/test_issue_get_in_index.py": """
            import pytest

            from toolz import get_in


            def test_out_of_range_returns_default():
                assert get_in(["a", 5], {"a": [1, 2]}, default="missing") == "missing"


            def test_out_of_range_raises_with_no_default():
                with pytest.raises(IndexError):
                    get_in(["a", 5], {"a": [1, 2]}, no_default=True)
            """
        },
    ),
    Spec(
        id="toolz-update-in-drops-siblings",
        pack="bugfix",
        lib=LIB,
        difficulty="medium",
        tags=["missed-case", "nested-data"],
        modules=[T_DICT],
        instruction="""
        update_in / assoc_in lose sibling keys of nested dicts

        ```python
        >>> from toolz import assoc_in
        >>> assoc_in({"a": {"x": 1, "y": 2}}, ["a", "x"], 10)
        {'a': {'x': 10}}
        ```

        Expected `{'a': {'x': 10, 'y': 2}}`: only the value at the path should change.
        Top-level keys are kept fine. The input must still not be mutated.
        """,
        edits=[
            (
                DICT,
                "            d = d[k]\n            dtemp = factory()\n            dtemp.update(d)\n",
                "            d = d[k]\n            dtemp = factory()\n",
            )
        ],
        hidden={
            "toolz/tests/test_issue_nested_siblings.py": """
            from toolz import assoc_in, update_in


            def test_assoc_in_keeps_siblings():
                d = {"a": {"x": 1, "y": 2}}
                assert assoc_in(d, ["a", "x"], 10) == {"a": {"x": 10, "y": 2}}
                assert d == {"a": {"x": 1, "y": 2}}


            def test_update_in_deep_siblings():
                d = {"a": {"b": {"c": 1, "d": 2}, "e": 3}}
                out = update_in(d, ["a", "b", "c"], lambda v: v + 1)
                assert out == {"a": {"b": {"c": 2, "d": 2}, "e": 3}}
            """
        },
    ),
    Spec(
        id="toolz-rename-isdistinct",
        pack="refactor",
        lib=LIB,
        tags=["rename", "deprecation", "multi-file"],
        modules=[T_IT, T_CUR],
        instruction="""
        Rename `isdistinct` to `all_distinct`

        We want the clearer name `all_distinct` for `toolz.isdistinct`. Please rename the
        function (in `toolz/itertoolz.py`, its `__all__`, and everywhere the package
        exports or re-exports it, including `toolz.curried`), so that
        `toolz.all_distinct`, `toolz.itertoolz.all_distinct` and
        `toolz.curried.all_distinct` work.

        Keep `isdistinct` available everywhere it was, as a deprecated alias: same results,
        but each call emits a `DeprecationWarning` that names `all_distinct`. The existing
        tests must keep passing.
        """,
        edits=[
            (
                IT,
                "'unique', 'isiterable', 'isdistinct',",
                "'unique', 'isiterable', 'all_distinct', 'isdistinct',",
            ),
            (
                IT,
                "def isdistinct(seq):\n",
                "def all_distinct(seq):\n",
            ),
            (
                IT,
                "    >>> isdistinct([1, 2, 3])\n    True\n    >>> isdistinct([1, 2, 1])\n    False\n\n"
                '    >>> isdistinct("Hello")\n    False\n    >>> isdistinct("World")\n    True\n',
                "    >>> all_distinct([1, 2, 3])\n    True\n    >>> all_distinct([1, 2, 1])\n    False\n\n"
                '    >>> all_distinct("Hello")\n    False\n    >>> all_distinct("World")\n    True\n',
            ),
            (
                IT,
                "        return len(seq) == len(set(seq))\n",
                "        return len(seq) == len(set(seq))\n\n\n"
                "def isdistinct(seq):\n"
                '    """ Deprecated alias of :func:`all_distinct` """\n'
                "    import warnings\n"
                "    warnings.warn(\n"
                '        "isdistinct is deprecated; use all_distinct",\n'
                "        DeprecationWarning,\n"
                "        stacklevel=2,\n"
                "    )\n"
                "    return all_distinct(seq)\n",
            ),
            (
                "toolz/curried/__init__.py",
                "    isdistinct,\n",
                "    all_distinct,\n    isdistinct,\n",
            ),
        ],
        hidden={
            "toolz/tests/test_refactor_all_distinct.py": """
            import ast
            import pathlib

            import pytest

            import toolz
            import toolz.curried
            import toolz.itertoolz


            def test_new_name_everywhere():
                assert toolz.all_distinct([1, 2]) is True
                assert toolz.itertoolz.all_distinct(iter([1, 1])) is False
                assert toolz.curried.all_distinct("ab") is True
                assert "all_distinct" in toolz.itertoolz.__all__


            def test_old_name_warns():
                for fn in (toolz.isdistinct, toolz.curried.isdistinct):
                    with pytest.warns(DeprecationWarning, match="all_distinct"):
                        assert fn([1, 2, 1]) is False


            def test_defined_once():
                tree = ast.parse(pathlib.Path(toolz.itertoolz.__file__).read_text())
                defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
                assert "all_distinct" in defs
                loops = [n for n in ast.walk(defs["isdistinct"]) if isinstance(n, (ast.For, ast.While))]
                assert not loops, "isdistinct should only delegate to all_distinct"
            """
        },
    ),
    Spec(
        id="toolz-add-peekn",
        pack="feature",
        lib=LIB,
        tags=["new-function", "multi-file"],
        modules=[T_IT, T_CUR],
        instruction="""
        Add `peekn(n, seq)` next to `peek`

        `toolz.peek(seq)` returns the first element and an iterable equivalent to the
        original. I need the same for the first `n` elements:

        ```python
        >>> from toolz import peekn
        >>> first_two, seq = peekn(2, [0, 1, 2, 3, 4])
        >>> first_two
        (0, 1)
        >>> list(seq)
        [0, 1, 2, 3, 4]
        ```

        If the sequence is shorter than `n`, return all its elements. It must work lazily on
        iterators (consume only `n` items up front). Export it like the other itertoolz
        functions: `toolz.peekn`, and a curried version in `toolz.curried`.
        """,
        edits=[
            (IT, "'topk', 'peek', 'peekn', 'random_sample')", "'topk', 'peek', 'random_sample')"),
            ("toolz/curried/__init__.py", "peekn = toolz.curry(toolz.peekn)\n", ""),
            (T_IT, "diff, topk, peek, peekn, random_sample)", "diff, topk, peek, random_sample)"),
        ],
        transform=_remove_peekn,
        hidden={
            "toolz/tests/test_feature_peekn.py": """
            import itertools

            import toolz
            import toolz.curried
            from toolz import peekn


            def test_peekn():
                alist = ("Alice", "Bob", "Carol")
                elements, blist = peekn(2, alist)
                assert elements == alist[:2]
                assert tuple(blist) == alist
                elements, blist = peekn(len(alist) * 4, alist)
                assert elements == alist
                assert tuple(blist) == alist


            def test_peekn_is_lazy():
                counter = itertools.count()
                elements, rest = peekn(3, counter)
                assert elements == (0, 1, 2)
                assert next(counter) == 3
                assert list(itertools.islice(rest, 3)) == [0, 1, 2]


            def test_exported_and_curried():
                assert "peekn" in toolz.itertoolz.__all__
                head, _ = toolz.curried.peekn(1)([5, 6])
                assert head == (5,)
            """
        },
    ),
]
