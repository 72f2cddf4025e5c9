"""Tasks on semver 3.0.2 (semantic versioning)."""

from __future__ import annotations

from pathlib import Path

from spec import Spec

LIB = "semver"
VER = "src/semver/version.py"
ALL = [
    "tests/test_bump.py",
    "tests/test_compare.py",
    "tests/test_match.py",
    "tests/test_parsing.py",
    "tests/test_semver.py",
]


def _cut(path: Path, start: str, end: str, keep_end: bool = True) -> None:
    text = path.read_text()
    i = text.index(start)
    j = text.index(end, i)
    if not keep_end:
        j += len(end)
    path.write_text(text[:i] + text[j:])


def _remove_is_compatible(repo: Path) -> None:
    _cut(repo / VER, "    def is_compatible(", "\n\n#: Keep the VersionInfo name")
    _cut(
        repo / "tests/test_semver.py",
        '@pytest.mark.parametrize(\n    "old, new",',
        "is_compatible(Version(1, 0, 0))\n",
        keep_end=False,
    )
    text = (repo / "tests/test_semver.py").read_text().rstrip("\n") + "\n"
    (repo / "tests/test_semver.py").write_text(text)


BUMP_BLOCK = """        cls = type(self)
        if self._build is not None:
            build = self._build
        elif token == "":
            build = "0"
        elif token is None:
            build = "build.0"
        else:
            build = str(token) + ".0"

        # self._build or (token or "build") + ".0"
        build = cls._increment_string(build)
        if self._build is not None:
            build = self._build
        elif token == "":
            build = "0"
        elif token is None:
            build = "build.0"
        else:
            build = str(token) + ".0"

        # self._build or (token or "build") + ".0"
        build = cls._increment_string(build)
        return cls(self._major, self._minor, self._patch, self._prerelease, build)
"""

PRE_BLOCK = """        cls = type(self)
        if self._prerelease is not None:
            prerelease = self._prerelease
        elif token == "":
            prerelease = "0"
        elif token is None:
            prerelease = "rc.0"
        else:
            prerelease = str(token) + ".0"

        prerelease = cls._increment_string(prerelease)
        return cls(self._major, self._minor, self._patch, prerelease)
"""

TASKS = [
    Spec(
        id="semver-prerelease-numeric-order",
        pack="bugfix",
        lib=LIB,
        tags=["comparison", "missed-case"],
        modules=["tests/test_compare.py", "tests/test_semver.py"],
        instruction="""
        Numeric pre-release identifiers are compared as text

        ```python
        >>> import semver
        >>> semver.Version.parse("1.0.0-rc.10") > semver.Version.parse("1.0.0-rc.9")
        False
        ```

        The SemVer spec (11.4.1) says identifiers made only of digits are compared
        numerically, so `rc.10` comes after `rc.9`. Sorting a list of release candidates
        gives the wrong order at the moment.
        """,
        edits=[
            (
                VER,
                '        a_parts = [int(x) if re.match(r"^\\d+$", x) else x for x in a_parts]\n'
                '        b_parts = [int(x) if re.match(r"^\\d+$", x) else x for x in b_parts]\n',
                "",
            )
        ],
        hidden={
            "tests/test_issue_numeric_prerelease.py": """
            from semver import Version


            def test_rc10_after_rc9():
                assert Version.parse("1.0.0-rc.10") > Version.parse("1.0.0-rc.9")


            def test_sorting_release_candidates():
                vs = [Version.parse(f"2.0.0-rc.{n}") for n in (10, 2, 1, 9)]
                assert [v.prerelease for v in sorted(vs)] == ["rc.1", "rc.2", "rc.9", "rc.10"]


            def test_numeric_lower_than_alphanumeric():
                assert Version.parse("1.0.0-1") < Version.parse("1.0.0-alpha")
            """
        },
    ),
    Spec(
        id="semver-match-ge-excludes-equal",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["boundary", "wrong-branch"],
        modules=["tests/test_match.py"],
        instruction="""
        `match(">=1.0.0")` is False for version 1.0.0

        ```python
        >>> from semver import Version
        >>> Version.parse("1.0.0").match(">=1.0.0")
        False
        >>> Version.parse("1.0.1").match(">=1.0.0")
        True
        ```

        `>=` should include the version itself. `<=` behaves correctly.
        """,
        edits=[(VER, '            ">=": (0, 1),', '            ">=": (1,),')],
        hidden={
            "tests/test_issue_match_ge.py": """
            import pytest

            from semver import Version


            @pytest.mark.parametrize("expr,expected", [(">=1.0.0", True), (">=1.0.1", False), ("<=1.0.0", True)])
            def test_inclusive_operators(expr, expected):
                assert Version.parse("1.0.0").match(expr) is expected
            """
        },
    ),
    Spec(
        id="semver-bump-minor-keeps-patch",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["missed-case"],
        modules=["tests/test_bump.py", "tests/test_semver.py"],
        instruction="""
        bump_minor() does not reset the patch number

        ```python
        >>> semver.Version.parse("3.4.5").bump_minor()
        Version(major=3, minor=5, patch=5, prerelease=None, build=None)
        ```

        Bumping the minor version must reset patch to 0 (`3.5.0`), as `bump_major` resets
        minor and patch. `next_version("minor")` is affected too.
        """,
        edits=[
            (
                VER,
                "        return cls(self._major, self._minor + 1)\n",
                "        return cls(self._major, self._minor + 1, self._patch)\n",
            )
        ],
    ),
    Spec(
        id="semver-zero-major-compatible",
        pack="bugfix",
        lib=LIB,
        tags=["missed-case"],
        modules=["tests/test_semver.py"],
        instruction="""
        `is_compatible` says 0.1.0 and 0.1.1 are compatible

        Under SemVer, major version zero is for initial development and anything may change
        at any time, so a 0.y.z version is compatible only with itself. But:

        ```python
        >>> Version(0, 1, 0).is_compatible(Version(0, 1, 1))
        True
        >>> Version(0, 1, 0).is_compatible(Version(0, 2, 0))
        True
        ```

        Both should be False. `Version(0, 1, 0).is_compatible(Version(0, 1, 0))` must stay
        True, and versions with major >= 1 are fine.
        """,
        edits=[
            (
                VER,
                "        # All major-0 versions should be incompatible with anything but itself\n"
                "        if (0 == self.major == other.major) and (self[:4] != other[:4]):\n"
                "            return False\n\n",
                "",
            )
        ],
    ),
    Spec(
        id="semver-optional-patch-none",
        pack="bugfix",
        lib=LIB,
        tags=["missed-case", "parsing"],
        modules=["tests/test_parsing.py"],
        instruction="""
        `Version.parse("1.2", optional_minor_and_patch=True)` raises TypeError

        ```python
        >>> Version.parse("1", optional_minor_and_patch=True)
        Version(major=1, minor=0, patch=0, prerelease=None, build=None)
        >>> Version.parse("1.2", optional_minor_and_patch=True)
        TypeError: '<' not supported between instances of 'NoneType' and 'int'
        ```

        The docs say missing optional parts are set to zero; a missing patch should give
        `1.2.0`.
        """,
        edits=[
            (
                VER,
                '        if not matched_version_parts["patch"]:\n'
                '            matched_version_parts["patch"] = 0\n',
                "",
            ),
            (
                VER,
                '        if not matched_version_parts["minor"]:\n'
                '            matched_version_parts["minor"] = 0\n',
                '        if not matched_version_parts["minor"]:\n'
                '            matched_version_parts["minor"] = 0\n'
                '            matched_version_parts["patch"] = 0\n',
            ),
        ],
        hidden={
            "tests/test_issue_optional_patch.py": """
            from semver import Version


            def test_major_minor_only():
                assert Version.parse("1.2", optional_minor_and_patch=True) == Version(1, 2, 0)


            def test_major_minor_with_prerelease():
                v = Version.parse("1.2-rc.1", optional_minor_and_patch=True)
                assert (v.major, v.minor, v.patch, v.prerelease) == (1, 2, 0, "rc.1")
            """
        },
    ),
    Spec(
        id="semver-dedupe-bump-token",
        pack="refactor",
        lib=LIB,
        tags=["remove-duplication"],
        modules=ALL,
        instruction="""
        Remove the duplicated token logic in bump_prerelease / bump_build

        `Version.bump_prerelease` and `Version.bump_build` in `src/semver/version.py` each
        contain the same if/elif chain that picks the starting string from the current
        value and `token` (and `bump_build` even runs its copy twice). Please extract it
        into one private classmethod:

        ```python
        @classmethod
        def _next_token(cls, current, token, default): ...
        ```

        that returns the incremented value (`current` if set, else `"0"` for an empty
        token, `default + ".0"` for `None`, else `token + ".0"`, then incremented with
        `_increment_string`). `bump_prerelease` and `bump_build` must call it and contain
        no `if` statements of their own. Behaviour must not change.
        """,
        edits=[
            (
                VER,
                BUMP_BLOCK,
                "        cls = type(self)\n"
                '        build = cls._next_token(self._build, token, "build")\n'
                "        return cls(self._major, self._minor, self._patch, self._prerelease, build)\n",
            ),
            (
                VER,
                PRE_BLOCK,
                "        cls = type(self)\n"
                '        prerelease = cls._next_token(self._prerelease, token, "rc")\n'
                "        return cls(self._major, self._minor, self._patch, prerelease)\n",
            ),
            (
                VER,
                "    def bump_major(self)",
                "    @classmethod\n"
                "    def _next_token(\n"
                "        cls, current: Optional[str], token: Optional[str], default: str\n"
                "    ) -> str:\n"
                '        """The next value of a prerelease or build part."""\n'
                "        if current is not None:\n"
                "            value = current\n"
                '        elif token == "":\n'
                '            value = "0"\n'
                "        elif token is None:\n"
                '            value = default + ".0"\n'
                "        else:\n"
                '            value = str(token) + ".0"\n'
                "        return cls._increment_string(value)\n\n"
                "    def bump_major(self)",
            ),
        ],
        hidden={
            "tests/test_refactor_next_token.py": """
            import ast
            import pathlib

            import pytest

            import semver.version
            from semver import Version

            MODULE = ast.parse(pathlib.Path(semver.version.__file__).read_text())


            def method_tree(name):
                for node in ast.walk(MODULE):
                    if isinstance(node, ast.FunctionDef) and node.name == name:
                        return node
                raise AssertionError(f"{name} not found")


            @pytest.mark.parametrize("name", ["bump_prerelease", "bump_build"])
            def test_no_branches_left(name):
                tree = method_tree(name)
                assert not [n for n in ast.walk(tree) if isinstance(n, (ast.If, ast.IfExp))]


            @pytest.mark.parametrize("name", ["bump_prerelease", "bump_build"])
            def test_calls_helper(name):
                tree = method_tree(name)
                called = {n.func.attr for n in ast.walk(tree)
                          if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
                assert "_next_token" in called


            @pytest.mark.parametrize(
                "current,token,default,expected",
                [("rc.1", "x", "rc", "rc.2"), (None, "", "rc", "1"), (None, None, "build", "build.1"),
                 (None, "dev", "rc", "dev.1")],
            )
            def test_helper(current, token, default, expected):
                assert Version._next_token(current, token, default) == expected
            """
        },
    ),
    Spec(
        id="semver-add-is-compatible",
        pack="feature",
        lib=LIB,
        difficulty="medium",
        tags=["new-method"],
        modules=["tests/test_semver.py"],
        max_fail_to_pass=20,
        instruction="""
        Add `Version.is_compatible(other)`

        I want to check whether upgrading from one version to another is safe. Please add
        `Version.is_compatible(self, other) -> bool` to `semver.Version`:

        * `other` must be a `Version` (subclasses are fine), otherwise raise
          `TypeError("Expected a Version type but got <type>")`;
        * versions with major 0 are compatible only with exactly the same version
          (prerelease included; build is ignored);
        * otherwise they are compatible when the majors are equal, `other.minor >=
          self.minor` and both prereleases are equal. Patches are not checked.

        ```python
        >>> Version(1, 0, 0).is_compatible(Version(1, 1, 0))
        True
        >>> Version(1, 1, 0).is_compatible(Version(1, 0, 0))
        False
        ```
        """,
        transform=_remove_is_compatible,
        hidden={
            "tests/test_feature_is_compatible.py": """
            import pytest

            from semver import Version


            @pytest.mark.parametrize(
                "old, new",
                [
                    ((1, 2, 3), (1, 2, 3)),
                    ((1, 2, 3), (1, 2, 4)),
                    ((1, 2, 4), (1, 2, 3)),
                    ((1, 2, 3, "rc.0"), (1, 2, 4, "rc.0")),
                    ((0, 1, 0), (0, 1, 0)),
                    ((1, 0, 0), (1, 5, 0)),
                ],
            )
            def test_compatible(old, new):
                assert Version(*old).is_compatible(Version(*new))


            @pytest.mark.parametrize(
                "old, new",
                [
                    ((1, 1, 0), (1, 0, 0)),
                    ((2, 0, 0), (1, 5, 0)),
                    ((1, 2, 3, "rc.1"), (1, 2, 3, "rc.0")),
                    ((0, 1, 0), (0, 1, 1)),
                    ((0, 1, 0), (0, 2, 0)),
                    ((1, 0, 0), (1, 0, 0, "rc1")),
                ],
            )
            def test_incompatible(old, new):
                assert not Version(*old).is_compatible(Version(*new))


            @pytest.mark.parametrize("wrongtype", ["1.0.0", dict(a=2), []])
            def test_wrong_type(wrongtype):
                with pytest.raises(TypeError, match="Expected a Version type"):
                    Version(1, 2, 3).is_compatible(wrongtype)


            def test_subclass():
                class CustomVersion(Version):
                    pass

                assert CustomVersion(1, 0, 0).is_compatible(Version(1, 0, 0))
            """
        },
    ),
]
