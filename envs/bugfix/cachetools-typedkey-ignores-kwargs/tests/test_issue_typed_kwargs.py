import cachetools.func
import cachetools.keys


def test_typedkey_kwargs_differ_by_type():
    assert cachetools.keys.typedkey(x=1) != cachetools.keys.typedkey(x=1.0)


def test_typedkey_kwargs_same_type_equal():
    assert cachetools.keys.typedkey(a=1, b="x") == cachetools.keys.typedkey(b="x", a=1)


def test_typed_decorator_with_kwargs():
    @cachetools.func.lru_cache(typed=True)
    def f(x):
        return type(x).__name__

    assert f(x=1) == "int"
    assert f(x=1.0) == "float"
