"""Tasks on inflection 0.5.1 (string inflections: pluralize, camelize, ordinal, ...)."""

from __future__ import annotations

from pathlib import Path

from spec import Spec

LIB = "inflection"
SRC = "inflection/__init__.py"
MODS = ["test_inflection.py"]


def _extract_rules(repo: Path) -> None:
    """Move the rule tables and _irregular into inflection/rules.py."""
    init = repo / SRC
    text = init.read_text()
    start = text.index("PLURALS = [")
    end = text.index("def camelize(")
    block = text[start:end]
    tail_start = text.index("_irregular('person', 'people')")
    tail = text[tail_start:]
    rules = (
        '"""The inflection rules: plural, singular, irregular and uncountable words."""\n'
        "import re\n\n" + block.rstrip() + "\n\n\n" + tail
    )
    (repo / "inflection" / "rules.py").write_text(rules)
    head = text[:start]
    body = text[end:tail_start].rstrip() + "\n"
    head = head.replace(
        "__version__ = '0.5.1'\n",
        "__version__ = '0.5.1'\n\n"
        "from inflection.rules import PLURALS, SINGULARS, UNCOUNTABLES, _irregular  # noqa: F401\n",
    )
    init.write_text(head + body)


TASKS = [
    Spec(
        id="inflection-ordinal-teens",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["boundary", "numbers"],
        modules=MODS,
        instruction="""
        `ordinalize(13)` returns "13rd"

        ```python
        >>> import inflection
        >>> inflection.ordinalize(13)
        '13rd'
        >>> inflection.ordinalize(113)
        '113rd'
        ```

        I expected `13th` and `113th`. 11 and 12 are handled correctly (`11th`, `12th`),
        and so are 3, 23 and 1003. `inflection.ordinal` has the same problem.
        """,
        edits=[(SRC, "    if number % 100 in (11, 12, 13):", "    if number % 100 in (11, 12):")],
    ),
    Spec(
        id="inflection-camelize-default",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["wrong-default"],
        modules=MODS,
        instruction="""
        camelize() no longer upper-cases the first letter by default

        The docs say `camelize("device_type")` gives `"DeviceType"` and that you pass
        `uppercase_first_letter=False` to get `"deviceType"`. With the current code:

        ```python
        >>> inflection.camelize("device_type")
        'deviceType'
        ```

        Calling it with `uppercase_first_letter=True` explicitly still works. Please restore
        the documented default.
        """,
        edits=[
            (
                SRC,
                "def camelize(string: str, uppercase_first_letter: bool = True) -> str:",
                "def camelize(string: str, uppercase_first_letter: bool = False) -> str:",
            )
        ],
        max_fail_to_pass=40,
    ),
    Spec(
        id="inflection-underscore-acronyms",
        pack="bugfix",
        lib=LIB,
        tags=["missed-case", "regex"],
        modules=MODS,
        instruction="""
        underscore() glues acronyms to the next word

        ```python
        >>> inflection.underscore("HTMLTidy")
        'htmltidy'
        >>> inflection.underscore("HTMLTidyGenerator")
        'htmltidy_generator'
        ```

        I expected `html_tidy` and `html_tidy_generator`, as the function did before. Words
        without a run of capitals (`"DeviceType"` → `"device_type"`) are still right.
        """,
        edits=[(SRC, "    word = re.sub(r\"([A-Z]+)([A-Z][a-z])\", r'\\1_\\2', word)\n", "")],
        hidden={
            "test_issue_acronyms.py": """
            import inflection


            def test_acronym_followed_by_word():
                assert inflection.underscore("HTMLTidy") == "html_tidy"


            def test_two_acronyms():
                assert inflection.underscore("XMLHTTPRequest") == "xmlhttp_request"


            def test_acronym_roundtrip_with_camelize():
                assert inflection.camelize(inflection.underscore("SSLError")) == "SslError"
            """
        },
    ),
    Spec(
        id="inflection-parameterize-trailing-separator",
        pack="bugfix",
        lib=LIB,
        tags=["regex", "missed-case"],
        modules=MODS,
        instruction="""
        parameterize() leaves a separator at the end of the slug

        ```python
        >>> inflection.parameterize("Hello, World!")
        'hello-world-'
        ```

        A leading separator is removed (`parameterize("  hi")` gives `"hi"`) but a trailing
        one stays. I expected `"hello-world"`: slugs should never start or end with the
        separator, whatever separator is used.
        """,
        edits=[
            (
                SRC,
                "string = re.sub(r\"(?i)^{sep}|{sep}$\".format(sep=re_sep), '', string)",
                "string = re.sub(r\"(?i)^{sep}\".format(sep=re_sep), '', string)",
            )
        ],
        hidden={
            "test_issue_slug_edges.py": """
            import inflection


            def test_trailing_punctuation():
                assert inflection.parameterize("Hello, World!") == "hello-world"


            def test_trailing_with_custom_separator():
                assert inflection.parameterize("Hello, World!", "_") == "hello_world"


            def test_trailing_multichar_separator():
                assert inflection.parameterize("a b!", "__sep__") == "a__sep__b"
            """
        },
    ),
    Spec(
        id="inflection-humanize-id-anywhere",
        pack="bugfix",
        lib=LIB,
        tags=["regex", "boundary"],
        modules=MODS,
        instruction="""
        humanize() strips "_id" from the middle of words

        ```python
        >>> inflection.humanize("user_identity")
        'Userentity'
        ```

        The docs say a *trailing* `"_id"` is stripped (`humanize("author_id")` →
        `"Author"`), which works, but `_id` inside a word is removed too. Expected:
        `'User identity'`.
        """,
        edits=[
            (SRC, '    word = re.sub(r"_id$", "", word)', '    word = re.sub(r"_id", "", word)')
        ],
        hidden={
            "test_issue_humanize_id.py": """
            import inflection


            def test_id_inside_word_is_kept():
                assert inflection.humanize("user_identity") == "User identity"


            def test_trailing_id_is_stripped():
                assert inflection.humanize("author_id") == "Author"


            def test_titleize_keeps_inner_id():
                assert inflection.titleize("valid_identifier") == "Valid Identifier"
            """
        },
    ),
    Spec(
        id="inflection-rename-ordinal-suffix",
        pack="refactor",
        lib=LIB,
        tags=["rename", "deprecation"],
        modules=MODS,
        instruction="""
        Rename `ordinal` to `ordinal_suffix`

        The name `inflection.ordinal` confuses people: it returns only the suffix
        (`"st"`, `"nd"`, ...), not an ordinal. Please rename the function to
        `ordinal_suffix` and use the new name everywhere inside the package.

        Keep `inflection.ordinal` working for existing callers as a deprecated alias: it
        must return the same results and emit a `DeprecationWarning` that mentions
        `ordinal_suffix`. Behaviour must not change otherwise; the existing tests must keep
        passing.
        """,
        edits=[
            (SRC, "def ordinal(number: int) -> str:", "def ordinal_suffix(number: int) -> str:"),
            (
                SRC,
                "        >>> ordinal(1)\n        'st'\n        >>> ordinal(2)\n        'nd'\n"
                "        >>> ordinal(1002)\n        'nd'\n        >>> ordinal(1003)\n        'rd'\n"
                "        >>> ordinal(-11)\n        'th'\n        >>> ordinal(-1021)\n        'st'\n",
                "        >>> ordinal_suffix(1)\n        'st'\n        >>> ordinal_suffix(2)\n        'nd'\n"
                "        >>> ordinal_suffix(1002)\n        'nd'\n        >>> ordinal_suffix(1003)\n        'rd'\n"
                "        >>> ordinal_suffix(-11)\n        'th'\n        >>> ordinal_suffix(-1021)\n        'st'\n",
            ),
            (
                SRC,
                '    return "{}{}".format(number, ordinal(number))',
                '    return "{}{}".format(number, ordinal_suffix(number))\n\n\n'
                "def ordinal(number: int) -> str:\n"
                '    """Deprecated alias of :func:`ordinal_suffix`."""\n'
                "    import warnings\n\n"
                "    warnings.warn(\n"
                '        "inflection.ordinal is deprecated; use inflection.ordinal_suffix",\n'
                "        DeprecationWarning,\n"
                "        stacklevel=2,\n"
                "    )\n"
                "    return ordinal_suffix(number)",
            ),
        ],
        hidden={
            "test_refactor_ordinal_suffix.py": """
            import ast
            import pathlib
            import warnings

            import pytest

            import inflection

            SOURCE = pathlib.Path(inflection.__file__).read_text()


            @pytest.mark.parametrize("n,suffix", [(1, "st"), (2, "nd"), (3, "rd"), (11, "th"), (-1021, "st")])
            def test_new_name(n, suffix):
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    assert inflection.ordinal_suffix(n) == suffix


            def test_old_name_warns():
                with pytest.warns(DeprecationWarning, match="ordinal_suffix"):
                    assert inflection.ordinal(22) == "nd"


            def test_ordinalize_uses_new_name():
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    assert inflection.ordinalize(13) == "13th"


            def test_no_internal_calls_to_old_name():
                tree = ast.parse(SOURCE)
                for node in ast.walk(tree):
                    if isinstance(node, ast.FunctionDef) and node.name != "ordinal":
                        for sub in ast.walk(node):
                            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                                assert sub.func.id != "ordinal", f"{node.name} still calls ordinal()"
            """
        },
    ),
    Spec(
        id="inflection-extract-rules-module",
        pack="refactor",
        lib=LIB,
        tags=["extract-module"],
        modules=MODS,
        difficulty="medium",
        instruction="""
        Move the inflection rule tables into their own module

        `inflection/__init__.py` mixes the rule data (`PLURALS`, `SINGULARS`,
        `UNCOUNTABLES`, the `_irregular()` helper and the list of `_irregular(...)` calls
        that register irregular words) with the public functions. Please move all of the
        rule data and `_irregular` into a new module `inflection/rules.py`.

        `inflection/__init__.py` must keep working exactly as before: the public functions
        stay there, and `inflection.PLURALS`, `inflection.SINGULARS` and
        `inflection.UNCOUNTABLES` must still be importable (the very same objects as in
        `inflection.rules`, so code that appends rules at run time keeps working). The rule
        lists must be defined only once, in `rules.py`.
        """,
        transform=_extract_rules,
        hidden={
            "test_refactor_rules_module.py": """
            import ast
            import importlib
            import pathlib

            import inflection


            def test_rules_module_exists():
                rules = importlib.import_module("inflection.rules")
                for name in ("PLURALS", "SINGULARS", "UNCOUNTABLES", "_irregular"):
                    assert hasattr(rules, name), name


            def test_same_objects_reexported():
                rules = importlib.import_module("inflection.rules")
                assert inflection.PLURALS is rules.PLURALS
                assert inflection.SINGULARS is rules.SINGULARS
                assert inflection.UNCOUNTABLES is rules.UNCOUNTABLES


            def test_tables_defined_only_in_rules():
                tree = ast.parse(pathlib.Path(inflection.__file__).read_text())
                for node in tree.body:
                    if isinstance(node, ast.Assign):
                        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                        assert not {"PLURALS", "SINGULARS", "UNCOUNTABLES"} & set(names)
                    if isinstance(node, ast.FunctionDef):
                        assert node.name != "_irregular"


            def test_irregulars_still_registered():
                assert inflection.pluralize("person") == "people"
                assert inflection.singularize("kine") == "cow"
            """
        },
    ),
    Spec(
        id="inflection-add-tableize",
        pack="feature",
        lib=LIB,
        difficulty="easy",
        tags=["new-function"],
        modules=MODS,
        instruction="""
        Add `tableize()` like Rails has

        Rails' inflector has `tableize`, which turns a model class name into a table name:
        underscore the name and pluralize the last word. Please add
        `inflection.tableize(word)`:

        ```python
        >>> inflection.tableize('RawScaledScorer')
        'raw_scaled_scorers'
        >>> inflection.tableize('egg_and_ham')
        'egg_and_hams'
        >>> inflection.tableize('fancyCategory')
        'fancy_categories'
        ```
        """,
        edits=[
            (
                SRC,
                SRC_TABLEIZE := (
                    "def tableize(word: str) -> str:\n"
                    '    """\n'
                    "    Create the name of a table like Rails does for models to table names. This\n"
                    "    method uses the :func:`pluralize` method on the last word in the string.\n"
                    "\n"
                    "    Examples::\n"
                    "\n"
                    "        >>> tableize('RawScaledScorer')\n"
                    "        'raw_scaled_scorers'\n"
                    "        >>> tableize('egg_and_ham')\n"
                    "        'egg_and_hams'\n"
                    "        >>> tableize('fancyCategory')\n"
                    "        'fancy_categories'\n"
                    '    """\n'
                    "    return pluralize(underscore(word))\n\n\n"
                ),
                "",
            ),
            (
                "test_inflection.py",
                '\n\n@pytest.mark.parametrize(("string", "tableized"), STRING_TO_TABLEIZE)\n'
                "def test_tableize(string, tableized):\n"
                "    assert inflection.tableize(string) == tableized\n",
                "\n",
            ),
        ],
        hidden={
            "test_feature_tableize.py": """
            import pytest

            import inflection


            @pytest.mark.parametrize(
                "word,table",
                [
                    ("person", "people"),
                    ("Country", "countries"),
                    ("ChildToy", "child_toys"),
                    ("_RailsCamp", "_rails_camps"),
                    ("RawScaledScorer", "raw_scaled_scorers"),
                    ("egg_and_ham", "egg_and_hams"),
                    ("fancyCategory", "fancy_categories"),
                ],
            )
            def test_tableize(word, table):
                assert inflection.tableize(word) == table
            """
        },
    ),
    Spec(
        id="inflection-titleize-keep-acronyms",
        pack="feature",
        lib=LIB,
        start="pristine",
        tags=["new-option"],
        modules=MODS,
        instruction="""
        titleize(): option to keep words that are already all capitals

        `titleize("NASA launch report")` gives `'Nasa Launch Report'`. I would like an
        opt-in keyword argument `keep_acronyms=False`; when it is true, words written
        entirely in capital letters (two letters or more, e.g. `NASA`, `HTTP`) are kept
        as they are and the rest is titleized as usual:

        ```python
        >>> inflection.titleize("NASA launch report", keep_acronyms=True)
        'NASA Launch Report'
        >>> inflection.titleize("the HTTP spec", keep_acronyms=True)
        'The HTTP Spec'
        ```

        Without the argument nothing changes.
        """,
        edits=[
            (
                SRC,
                "def titleize(word: str) -> str:",
                "def titleize(word: str, keep_acronyms: bool = False) -> str:",
            ),
            (
                SRC,
                '    return re.sub(\n        r"\\b(\'?\\w)",',
                "    if keep_acronyms:\n"
                "        return ' '.join(\n"
                "            part if len(part) > 1 and part.isupper() and part.isalpha()\n"
                "            else titleize(part)\n"
                "            for part in word.split(' ')\n"
                "        )\n"
                '    return re.sub(\n        r"\\b(\'?\\w)",',
            ),
        ],
        hidden={
            "test_feature_titleize_acronyms.py": """
            import inflection


            def test_keeps_acronyms():
                assert inflection.titleize("NASA launch report", keep_acronyms=True) == "NASA Launch Report"


            def test_acronym_inside():
                assert inflection.titleize("the HTTP spec", keep_acronyms=True) == "The HTTP Spec"


            def test_single_capital_letter_is_not_an_acronym():
                assert inflection.titleize("a B c", keep_acronyms=True) == "A B C"


            def test_default_unchanged():
                assert inflection.titleize("NASA launch report") == "Nasa Launch Report"
            """
        },
    ),
]
