import pytest

import parse


@pytest.mark.parametrize(
    "text,value", [("0xf", 15), ("0b1", 1), ("0o7", 7), ("-0xa", -10), ("0x1f", 31)]
)
def test_short_prefixed(text, value):
    assert parse.parse("{:d}", text)[0] == value
