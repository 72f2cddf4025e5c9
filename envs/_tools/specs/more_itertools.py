"""Tasks on more-itertools 10.5.0 (iterable building blocks and itertools recipes)."""

from __future__ import annotations

import ast
from pathlib import Path

from spec import Spec, remove_defs

LIB = "more-itertools"
REC = "more_itertools/recipes.py"
T_REC = "tests/test_recipes.py"
RANDOM = [
    "random_product",
    "random_permutation",
    "random_combination",
    "random_combination_with_replacement",
]


def _extract_random(repo: Path) -> None:
    rec = repo / REC
    text = rec.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    chunks = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in RANDOM:
            chunks.append("".join(lines[node.lineno - 1 : node.end_lineno]))
    module = (
        '"""Recipes that draw random items: random_product, random_permutation, ..."""\n\n'
        "from random import choice, randrange, sample\n\n"
        "__all__ = [\n" + "".join(f"    '{n}',\n" for n in RANDOM) + "]\n\n\n" + "\n\n".join(chunks)
    )
    (repo / "more_itertools/random_recipes.py").write_text(module)
    remove_defs(rec, RANDOM)
    text = rec.read_text()
    text = text.replace(
        "from random import randrange, sample, choice\n",
        "from .random_recipes import (  # noqa: F401 (re-exported)\n"
        + "".join(f"    {n},\n" for n in RANDOM)
        + ")\n",
    )
    rec.write_text(text)


def _remove(names: list[str], test_classes: list[str]):
    def transform(repo: Path) -> None:
        remove_defs(repo / REC, names)
        text = (repo / REC).read_text()
        for name in names:
            text = text.replace(f"    '{name}',\n", "", 1)
        (repo / REC).write_text(text)
        remove_defs(repo / T_REC, test_classes)

    return transform


TASKS = [
    Spec(
        id="more-itertools-tail-longer-than-input",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["boundary"],
        modules=[T_REC],
        instruction="""
        `tail(n, seq)` crashes when n is larger than a list

        ```python
        >>> from more_itertools import tail
        >>> list(tail(8, iter("ABCDEFG")))
        ['A', 'B', 'C', 'D', 'E', 'F', 'G']
        >>> list(tail(8, "ABCDEFG"))
        ValueError: Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.
        ```

        With a sized input (string, list, range) and `n` greater than its length, I expect
        the whole input, as for iterators.
        """,
        edits=[
            (
                REC,
                "        yield from islice(iterable, max(0, len(iterable) - n), None)\n",
                "        yield from islice(iterable, len(iterable) - n, None)\n",
            )
        ],
    ),
    Spec(
        id="more-itertools-grouper-modes-swapped",
        pack="bugfix",
        lib=LIB,
        tags=["wrong-branch"],
        modules=[T_REC],
        instruction="""
        grouper(): incomplete="strict" and "ignore" do each other's job

        ```python
        >>> from more_itertools import grouper
        >>> list(grouper("ABCDEFG", 3, incomplete="ignore"))
        UnequalIterablesError: Iterables have different lengths
        >>> list(grouper("ABCDEFG", 3, incomplete="strict"))
        [('A', 'B', 'C'), ('D', 'E', 'F')]
        ```

        As documented, `"ignore"` should drop the incomplete last group and `"strict"`
        should raise. `"fill"` works.
        """,
        edits=[
            (
                REC,
                "    if incomplete == 'strict':\n        return _zip_equal(*args)\n"
                "    if incomplete == 'ignore':\n        return zip(*args)\n",
                "    if incomplete == 'strict':\n        return zip(*args)\n"
                "    if incomplete == 'ignore':\n        return _zip_equal(*args)\n",
            )
        ],
    ),
    Spec(
        id="more-itertools-batched-zero",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["boundary", "validation"],
        modules=[T_REC],
        instruction="""
        `batched(iterable, 0)` silently returns nothing

        ```python
        >>> from more_itertools import batched
        >>> list(batched("ABC", 0))
        []
        ```

        A batch size of 0 makes no sense; like `itertools.batched` it should raise
        `ValueError('n must be at least one')`. Negative sizes raise already.
        """,
        edits=[
            (
                REC,
                "    if n < 1:\n        raise ValueError('n must be at least one')\n",
                "    if n < 0:\n        raise ValueError('n must be at least one')\n",
            )
        ],
        hidden={
            "tests/test_issue_batched_zero.py": """
            import pytest

            from more_itertools import batched


            def test_zero_raises():
                with pytest.raises(ValueError, match="at least one"):
                    list(batched("ABC", 0))


            def test_one_is_fine():
                assert list(batched("AB", 1)) == [("A",), ("B",)]
            """
        },
    ),
    Spec(
        id="more-itertools-sieve-two",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["boundary", "off-by-one"],
        modules=[T_REC],
        instruction="""
        `sieve(2)` yields 2

        `sieve(n)` is documented to yield the primes *less than* n, but:

        ```python
        >>> from more_itertools import sieve
        >>> list(sieve(2))
        [2]
        >>> list(sieve(3))
        [2]
        ```

        `list(sieve(2))` should be `[]`.
        """,
        edits=[(REC, "    if n > 2:\n        yield 2\n", "    if n >= 2:\n        yield 2\n")],
        hidden={
            "tests/test_issue_sieve_small.py": """
            from more_itertools import sieve


            def test_small_limits():
                assert [list(sieve(n)) for n in range(5)] == [[], [], [], [2], [2, 3]]
            """
        },
    ),
    Spec(
        id="more-itertools-extract-random-recipes",
        pack="refactor",
        lib=LIB,
        tags=["extract-module"],
        modules=[T_REC],
        instruction="""
        Move the random recipes into their own module

        Please move `random_product`, `random_permutation`, `random_combination` and
        `random_combination_with_replacement` out of `more_itertools/recipes.py` into a
        new module `more_itertools/random_recipes.py` (with its own `__all__`).
        `more_itertools.recipes` must keep exposing them (same function objects) and they
        must stay in `more_itertools.recipes.__all__`, so `from more_itertools import
        random_product` and `more_itertools.recipes.random_product` keep working.
        `recipes.py` should no longer import the `random` module.
        """,
        transform=_extract_random,
        hidden={
            "tests/test_refactor_random_recipes.py": """
            import ast
            import importlib
            import pathlib

            import more_itertools
            import more_itertools.recipes as recipes

            NAMES = ["random_product", "random_permutation", "random_combination",
                     "random_combination_with_replacement"]


            def test_new_module_defines_them():
                mod = importlib.import_module("more_itertools.random_recipes")
                for name in NAMES:
                    fn = getattr(mod, name)
                    assert fn.__module__ == "more_itertools.random_recipes"
                    assert getattr(recipes, name) is fn
                    assert getattr(more_itertools, name) is fn
                    assert name in recipes.__all__
                    assert name in mod.__all__


            def test_recipes_no_longer_defines_or_imports_random():
                tree = ast.parse(pathlib.Path(recipes.__file__).read_text())
                defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
                assert not defs & set(NAMES)
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom):
                        assert node.module != "random"
                    if isinstance(node, ast.Import):
                        assert "random" not in [a.name for a in node.names]


            def test_still_random_and_valid():
                assert sorted(more_itertools.random_permutation(range(5))) == [0, 1, 2, 3, 4]
            """
        },
    ),
    Spec(
        id="more-itertools-rename-dotproduct",
        pack="refactor",
        lib=LIB,
        difficulty="easy",
        tags=["rename", "deprecation"],
        modules=[T_REC],
        instruction="""
        Rename `dotproduct` to `dot_product`

        For consistency with our other snake_case names, please rename
        `more_itertools.dotproduct` to `dot_product` (in `recipes.py`, its `__all__`, and
        every internal use). Keep `dotproduct` as a deprecated alias in `__all__`: same
        result, and a `DeprecationWarning` that mentions `dot_product`. The code inside the
        package must not call the deprecated name.
        """,
        edits=[
            (REC, "    'dotproduct',\n", "    'dot_product',\n    'dotproduct',\n"),
            (REC, "def dotproduct(vec1, vec2):\n", "def dot_product(vec1, vec2):\n"),
            (REC, "lambda x, y: dotproduct(x, y))", "lambda x, y: dot_product(x, y))"),
            (
                REC,
                "def flatten(listOfLists):\n",
                "def dotproduct(vec1, vec2):\n"
                '    """Deprecated alias of :func:`dot_product`."""\n'
                "    import warnings\n\n"
                "    warnings.warn(\n"
                "        'dotproduct is deprecated; use dot_product',\n"
                "        DeprecationWarning,\n"
                "        stacklevel=2,\n"
                "    )\n"
                "    return dot_product(vec1, vec2)\n\n\n"
                "def flatten(listOfLists):\n",
            ),
        ],
        hidden={
            "tests/test_refactor_dot_product.py": """
            import ast
            import pathlib

            import pytest

            import more_itertools as mi
            import more_itertools.recipes as recipes


            def test_new_name():
                assert mi.dot_product([10, 10], [20, 20]) == 400
                assert "dot_product" in recipes.__all__


            def test_alias_warns():
                with pytest.warns(DeprecationWarning, match="dot_product"):
                    assert mi.dotproduct([1, 2], [3, 4]) == 11


            def test_no_internal_use_of_old_name():
                tree = ast.parse(pathlib.Path(recipes.__file__).read_text())
                for node in tree.body:
                    if isinstance(node, ast.FunctionDef) and node.name == "dotproduct":
                        continue
                    for sub in ast.walk(node):
                        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                            assert sub.func.id != "dotproduct"
            """
        },
    ),
    Spec(
        id="more-itertools-add-triplewise",
        pack="feature",
        lib=LIB,
        difficulty="easy",
        tags=["new-function"],
        modules=[T_REC],
        instruction="""
        Add `triplewise(iterable)`

        Like `pairwise`, but for overlapping triplets:

        ```python
        >>> from more_itertools import triplewise
        >>> list(triplewise("ABCDE"))
        [('A', 'B', 'C'), ('B', 'C', 'D'), ('C', 'D', 'E')]
        ```

        Inputs with fewer than three items give nothing. It must be lazy (work on infinite
        iterators) and be exported from `more_itertools` (add it to `recipes.__all__`).
        """,
        transform=_remove(["triplewise"], ["TriplewiseTests"]),
        hidden={
            "tests/test_feature_triplewise.py": """
            from itertools import count, islice

            import pytest

            import more_itertools as mi


            @pytest.mark.parametrize(
                "data,expected",
                [
                    ("", []),
                    ("A", []),
                    ("AB", []),
                    ("ABC", [("A", "B", "C")]),
                    ("ABCDE", [("A", "B", "C"), ("B", "C", "D"), ("C", "D", "E")]),
                ],
            )
            def test_triplewise(data, expected):
                assert list(mi.triplewise(iter(data))) == expected


            def test_lazy():
                assert list(islice(mi.triplewise(count()), 2)) == [(0, 1, 2), (1, 2, 3)]


            def test_exported():
                assert "triplewise" in mi.recipes.__all__
            """
        },
    ),
    Spec(
        id="more-itertools-add-polynomial-derivative",
        pack="feature",
        lib=LIB,
        tags=["new-function", "math"],
        modules=[T_REC],
        instruction="""
        Add `polynomial_derivative(coefficients)`

        We have `polynomial_eval` and `polynomial_from_roots`; please add
        `polynomial_derivative(coefficients)` that returns the coefficients (a list) of the
        derivative of a polynomial, using the same convention (highest power first):

        ```python
        >>> from more_itertools import polynomial_derivative
        >>> polynomial_derivative([1, -4, -17, 60])   # x³ - 4x² - 17x + 60
        [3, -8, -17]
        ```

        The derivative of a constant or of an empty polynomial is `[]`. Export it from
        `more_itertools` (add it to `recipes.__all__`).
        """,
        transform=_remove(["polynomial_derivative"], ["PolynomialDerivativeTests"]),
        hidden={
            "tests/test_feature_polynomial_derivative.py": """
            from fractions import Fraction

            import pytest

            import more_itertools as mi


            @pytest.mark.parametrize(
                "coefficients,expected",
                [
                    ([], []),
                    ([1], []),
                    ([1, 2], [1]),
                    ([1, 2, 3], [2, 2]),
                    ([1, -4, -17, 60], [3, -8, -17]),
                    ([Fraction(1, 2), 0, 0], [Fraction(1, 1), 0]),
                ],
            )
            def test_derivative(coefficients, expected):
                assert list(mi.polynomial_derivative(coefficients)) == expected


            def test_exported():
                assert "polynomial_derivative" in mi.recipes.__all__
            """
        },
    ),
]
