import pytest

from semver import Version


@pytest.mark.parametrize("expr,expected", [(">=1.0.0", True), (">=1.0.1", False), ("<=1.0.0", True)])
def test_inclusive_operators(expr, expected):
    assert Version.parse("1.0.0").match(expr) is expected
