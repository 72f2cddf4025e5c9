import parse


def test_negative_hex():
    assert parse.parse("{:d}", "-0x1f")[0] == -31


def test_negative_binary():
    assert parse.parse("{:d}", "-0b101")[0] == -5


def test_negative_decimal_still_fine():
    assert parse.parse("{:d}", "-12")[0] == -12
