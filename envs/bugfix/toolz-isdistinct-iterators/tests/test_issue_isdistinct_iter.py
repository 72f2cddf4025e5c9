from toolz import isdistinct


def test_generator_with_duplicates():
    assert isdistinct(x % 3 for x in range(5)) is False


def test_generator_without_duplicates():
    assert isdistinct(x for x in range(5)) is True
