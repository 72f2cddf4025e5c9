from semver import Version


def test_rc10_after_rc9():
    assert Version.parse("1.0.0-rc.10") > Version.parse("1.0.0-rc.9")


def test_sorting_release_candidates():
    vs = [Version.parse(f"2.0.0-rc.{n}") for n in (10, 2, 1, 9)]
    assert [v.prerelease for v in sorted(vs)] == ["rc.1", "rc.2", "rc.9", "rc.10"]


def test_numeric_lower_than_alphanumeric():
    assert Version.parse("1.0.0-1") < Version.parse("1.0.0-alpha")
