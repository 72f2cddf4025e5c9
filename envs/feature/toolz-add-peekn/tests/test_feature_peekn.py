import itertools

import toolz
import toolz.curried
from toolz import peekn


def test_peekn():
    alist = ("Alice", "Bob", "Carol")
    elements, blist = peekn(2, alist)
    assert elements == alist[:2]
    assert tuple(blist) == alist
    elements, blist = peekn(len(alist) * 4, alist)
    assert elements == alist
    assert tuple(blist) == alist


def test_peekn_is_lazy():
    counter = itertools.count()
    elements, rest = peekn(3, counter)
    assert elements == (0, 1, 2)
    assert next(counter) == 3
    assert list(itertools.islice(rest, 3)) == [0, 1, 2]


def test_exported_and_curried():
    assert "peekn" in toolz.itertoolz.__all__
    head, _ = toolz.curried.peekn(1)([5, 6])
    assert head == (5,)
