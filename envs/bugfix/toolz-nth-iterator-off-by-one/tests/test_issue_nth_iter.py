from toolz import nth


def test_nth_on_generator():
    assert nth(2, (x * 10 for x in range(1, 5))) == 30


def test_nth_zero_on_iterator():
    assert nth(0, iter("abc")) == "a"
