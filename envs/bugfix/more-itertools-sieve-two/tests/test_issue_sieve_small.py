from more_itertools import sieve


def test_small_limits():
    assert [list(sieve(n)) for n in range(5)] == [[], [], [], [2], [2, 3]]
