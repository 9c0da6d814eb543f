"""In the kernel: the guarded state of Python's builtins and of the libraries the tests use.

Each class snapshots one kind of state when the guard is installed, puts it back
(`restore`, before a test cell) and lists what differs from it (`changes`, after one).
"""
import operator
import sys

try:  # the grader's process (tests, linters); in the kernel every part runs in one namespace
    from .common import MISSING, behaves, is_, same, same_items, unchanged
except ImportError:
    pass

# Builtins that Python and IPython themselves set while running cells.
MANAGED_BUILTINS = frozenset({"_", "__", "___"})


class Builtins:
    """The builtins module's dict: changed names put back, added ones deleted."""

    def __init__(self, bdict, pristine):
        self.bdict, self.pristine = bdict, pristine

    def restore(self):
        bdict = self.bdict
        for k, v in self.pristine.items():
            if bdict.get(k, MISSING) is not v:
                bdict[k] = v
        for k in [k for k in bdict if k not in self.pristine and k not in MANAGED_BUILTINS]:
            del bdict[k]

    def changes(self):
        return ["builtins." + k for k, v in self.pristine.items() if self.bdict.get(k, MISSING) is not v]


class Libraries:
    """The public functions, classes and submodules of the guarded modules, and their
    sys.modules entries (sys.modules itself included)."""

    def __init__(self, modules, records):
        self.modules, self.records = modules, records

    def restore(self):
        modules = self.modules
        if sys.modules is not modules:
            sys.modules = modules
        for name, mod, d, keys, values, public in self.records:
            if modules.get(name, MISSING) is not mod:
                modules[name] = mod
            if not unchanged(d, keys, values):
                for k, v in public.items():
                    if d.get(k, MISSING) is not v:
                        d[k] = v

    def changes(self):
        out = []
        for name, mod, d, keys, values, public in self.records:
            if self.modules.get(name, MISSING) is not mod:
                out.append(f"sys.modules[{name!r}]")
            if not unchanged(d, keys, values):
                out += [f"{name}.{k}" for k, v in public.items() if d.get(k, MISSING) is not v]
        return out


def _added(d, attrs):
    """Methods (or other callables, descriptors) added to a class dict since install."""
    return [k for k, v in d.items() if k not in attrs and behaves(v)]


def _class_changed(d, keys, values, attrs, all_keys):
    return not unchanged(d, keys, values) or (d.keys() != all_keys and bool(_added(d, attrs)))


class ClassMethods:
    """The methods, properties and nested classes of the libraries' Python classes
    (torch.Tensor, nn.Module, the optimizers, np.errstate, ...): added ones deleted,
    changed ones put back.  Data attributes (counters, caches) are left alone."""

    def __init__(self, records):
        self.records = records

    def restore(self):
        for cls, d, keys, values, attrs, all_keys, _ in self.records:
            if _class_changed(d, keys, values, attrs, all_keys):
                for k in _added(d, attrs):
                    type.__delattr__(cls, k)
                for k, v in attrs.items():
                    if d.get(k, MISSING) is not v:
                        type.__setattr__(cls, k, v)

    def changes(self):
        out = []
        for cls, d, keys, values, attrs, all_keys, label in self.records:
            if _class_changed(d, keys, values, attrs, all_keys):
                out += [f"{label}.{k}" for k, v in attrs.items() if d.get(k, v) is not v]
                out += [f"{label}.{k} (deleted)" for k in attrs if k not in d]
                out += [f"{label}.{k} (added)" for k in _added(d, attrs)]
        return out


class FunctionCode:
    """The code, defaults and keyword defaults of the libraries' Python functions."""
    _code = operator.attrgetter("__code__")
    _defaults = operator.attrgetter("__defaults__")
    _kwdefaults = operator.attrgetter("__kwdefaults__")

    def __init__(self, funcs):
        self.funcs = tuple(funcs)
        self.codes = tuple(f.__code__ for f in self.funcs)
        self.defaults = tuple(f.__defaults__ for f in self.funcs)
        self.kwdefaults = tuple(f.__kwdefaults__ for f in self.funcs)

    def _unchanged(self):
        funcs = self.funcs
        return (all(map(is_, map(self._code, funcs), self.codes))
                and all(map(is_, map(self._defaults, funcs), self.defaults))
                and all(map(is_, map(self._kwdefaults, funcs), self.kwdefaults)))

    def _state(self):
        return zip(self.funcs, self.codes, self.defaults, self.kwdefaults)

    def restore(self):
        if self._unchanged():
            return
        for f, code, dflt, kw in self._state():
            if f.__code__ is not code:
                f.__code__ = code
            if f.__defaults__ is not dflt:
                f.__defaults__ = dflt
            if f.__kwdefaults__ is not kw:
                f.__kwdefaults__ = kw

    def changes(self):
        if self._unchanged():
            return []
        return [f"{getattr(f, '__module__', '?')}.{f.__qualname__} (modified)" for f, code, dflt, kw in self._state()
                if f.__code__ is not code or f.__defaults__ is not dflt or f.__kwdefaults__ is not kw]


class HookRegistries:
    """torch's global hook registries (nn.Module forward hooks, optimizer step hooks, ...)."""

    def __init__(self, records):
        self.records = records

    @staticmethod
    def _changed(mod, k, obj, items):
        if mod.__dict__.get(k, MISSING) is not obj:
            return True
        return not (same_items(tuple(obj.items()), items) if isinstance(obj, dict) else same(tuple(obj), items))

    def restore(self):
        for mod, k, obj, items in self.records:
            if self._changed(mod, k, obj, items):
                mod.__dict__[k] = obj
                obj.clear()
                if isinstance(obj, dict):
                    obj.update(items)
                else:
                    obj.extend(items)

    def changes(self):
        return [f"{mod.__name__}.{k}" for mod, k, obj, items in self.records if self._changed(mod, k, obj, items)]
