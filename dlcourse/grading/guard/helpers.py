"""In the kernel: the names test cells call resolve to pristine objects.

TestHelpers runs utils/testing.py (read and compiled at install) into a brand-new
module before every test cell, registers it as sys.modules["utils.testing"] and binds
the helpers the test cells use in the notebook namespace; notebook globals that shadow
a builtin the test cells use (`isinstance = ...`) are moved aside until the test is over.
Bindings rebinds the library names the provided cells import and the tests use (`np`,
`torch`, `F`, `optimizer_trajectory`, ...) and the namespace's `__builtins__`.
"""
import types

ModuleType, FunctionType = types.ModuleType, types.FunctionType  # bound now: student code may patch `types`

try:  # the grader's process (tests, linters); in the kernel every part runs in one namespace
    from .common import MISSING
except ImportError:
    pass


class Bindings:
    """The notebook namespace's `__builtins__` and the library names the tests use."""

    def __init__(self, user_ns, builtins_module, bound):
        self.user_ns, self.builtins, self.bound = user_ns, builtins_module, bound

    def restore(self):
        if self.user_ns.get("__builtins__", MISSING) is not self.builtins:
            self.user_ns["__builtins__"] = self.builtins
        for n, obj in self.bound.items():
            self.user_ns[n] = obj

    def changes(self):
        out = ["__builtins__"] if self.user_ns.get("__builtins__", MISSING) is not self.builtins else []
        return out + [n for n, obj in self.bound.items() if self.user_ns.get(n, MISSING) is not obj]


class TestHelpers:
    """A fresh utils.testing for every test cell, and the notebook's globals named like
    the builtins the tests use set aside while it runs."""

    def __init__(self, path, code, modules, user_ns, bdict, pristine, names):
        self.path, self.code, self.modules, self.user_ns = path, code, modules, user_ns
        self.bdict, self.pristine, self.names = bdict, pristine, names
        self.helpers = self.builtins_used = None  # what the module defines / builtins the tests use
        self.stash = {}

    def renew(self):
        mod = ModuleType("utils.testing")
        g = mod.__dict__
        g["__file__"] = self.path
        g["__builtins__"] = dict(self.pristine)
        exec(self.code, g)
        self.modules["utils.testing"] = mod
        pkg = self.modules.get("utils")
        if isinstance(pkg, ModuleType):
            pkg.testing = mod
        if self.helpers is None:  # what the module defines (not what it imports)
            self.helpers = tuple(n for n in self.names if getattr(g.get(n), "__module__", None) == "utils.testing")
            self.builtins_used = tuple(n for n in self.names if n in self.pristine and n not in self.helpers)
        for n in self.helpers:
            self.user_ns[n] = g[n]
        funcs, classes = {}, {}
        for k, v in g.items():
            if isinstance(v, FunctionType):
                funcs[k] = (v, v.__code__, v.__defaults__, v.__kwdefaults__,
                            tuple(c.cell_contents for c in v.__closure__ or ()))
            elif isinstance(v, type) and v.__module__ == "utils.testing":
                classes[k] = (v, dict(vars(v)))
        self.mod, self.g, self.snap, self.private = mod, g, dict(g), dict(g["__builtins__"])
        self.funcs, self.classes = funcs, classes

    def restore(self):
        self.renew()
        self.stash = {n: self.user_ns.pop(n) for n in self.builtins_used if n in self.user_ns}

    def unstash(self):
        """Give the notebook back its own globals named like builtins."""
        stash, self.stash = self.stash, {}
        for n, v in stash.items():
            self.user_ns.setdefault(n, v)

    def changes(self):
        g, user_ns = self.g, self.user_ns
        out = ["builtins." + n for n in self.helpers if n in self.bdict and n not in self.pristine]
        out += [f"{n} (rebound in the notebook)" for n in self.builtins_used if n in user_ns]
        if self.modules.get("utils.testing", MISSING) is not self.mod:
            out.append("sys.modules['utils.testing']")
        out += [n for n in self.helpers if user_ns.get(n, MISSING) is not g[n]]
        out += [f"utils.testing.{k}" for k, v in self.snap.items() if g.get(k, MISSING) is not v]
        private = g["__builtins__"]
        out += [f"utils.testing builtins.{k}" for k, v in self.private.items() if private.get(k, MISSING) is not v]
        for k, (f, c, d, kw, cells) in self.funcs.items():
            now = tuple(x.cell_contents for x in f.__closure__ or ())
            if (f.__code__ is not c or f.__defaults__ is not d or f.__kwdefaults__ is not kw
                    or len(now) != len(cells) or any(a is not b for a, b in zip(now, cells))):
                out.append(f"utils.testing.{k} (modified)")
        for k, (cls, attrs) in self.classes.items():
            now = vars(cls)
            if set(now) != set(attrs) or any(now[a] is not attrs[a] for a in attrs):
                out.append(f"utils.testing.{k} (modified)")
        return out
