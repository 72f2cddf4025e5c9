from semver import Version


def test_major_minor_only():
    assert Version.parse("1.2", optional_minor_and_patch=True) == Version(1, 2, 0)


def test_major_minor_with_prerelease():
    v = Version.parse("1.2-rc.1", optional_minor_and_patch=True)
    assert (v.major, v.minor, v.patch, v.prerelease) == (1, 2, 0, "rc.1")
