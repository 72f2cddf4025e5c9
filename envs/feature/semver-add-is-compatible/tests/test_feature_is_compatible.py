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
