import ast
import pathlib

import pytest

import cachetools

TREE = ast.parse(pathlib.Path(cachetools.__file__).read_text())


def test_helper_exists():
    err = cachetools._empty_error(cachetools.LRUCache(1))
    assert isinstance(err, KeyError)
    assert err.args == ("LRUCache is empty",)


def test_message_written_once():
    literals = [
        n for n in ast.walk(TREE)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and "is empty" in n.value
    ]
    assert len(literals) == 1


def test_popitem_methods_use_helper():
    for cls in ast.walk(TREE):
        if isinstance(cls, ast.ClassDef):
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "popitem":
                    calls = [
                        c.func.id for c in ast.walk(fn)
                        if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                    ]
                    assert "_empty_error" in calls, cls.name


@pytest.mark.parametrize(
    "make",
    [
        lambda: cachetools.FIFOCache(2),
        lambda: cachetools.LFUCache(2),
        lambda: cachetools.LRUCache(2),
        lambda: cachetools.RRCache(2),
        lambda: cachetools.TTLCache(2, 10),
        lambda: cachetools.TLRUCache(2, lambda k, v, t: t + 10),
    ],
)
def test_empty_popitem_message(make):
    cache = make()
    with pytest.raises(KeyError, match=type(cache).__name__ + " is empty"):
        cache.popitem()
