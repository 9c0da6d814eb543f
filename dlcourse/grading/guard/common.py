"""In the kernel: what every part of the guard shares (sent as source, see __init__.py).

Identity checks over thousands of objects are looped in C (map/all/operator.is_) so
that a check before and after each test cell stays cheap.
"""
import collections
import operator

MISSING = object()
is_ = operator.is_

# One record per guarded library module, class and global hook registry.
ModuleRecord = collections.namedtuple("ModuleRecord", "name module dict keys values public")
ClassRecord = collections.namedtuple("ClassRecord", "cls dict keys values attrs all_keys label")
HookRecord = collections.namedtuple("HookRecord", "module name registry items")


def unchanged(d, keys, values):
    """Every key of `d` still holds the very object it held."""
    return all(map(is_, map(d.get, keys), values))


def behaves(v):
    """A value that is code or decides which code runs: callables and descriptors."""
    return callable(v) or getattr(type(v), "__get__", None) is not None


def same(now, then):
    return len(now) == len(then) and all(a is b for a, b in zip(now, then))


def same_items(now, then):
    return len(now) == len(then) and all(a is c and b is d for (a, b), (c, d) in zip(now, then))
