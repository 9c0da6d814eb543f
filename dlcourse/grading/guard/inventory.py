"""In the kernel: what the test cells rely on, found when the guard is installed (before any
student code): the libraries, torch if the tests use it, the course's utils modules the
provided cells import from, and in them every public function, Python class and global
hook registry; also the objects the provided cells' import names stand for."""
import importlib
import sys
import types
import warnings

try:  # the grader's process (tests, linters); in the kernel every part runs in one namespace
    from .common import ClassRecord, HookRecord, ModuleRecord, behaves
except ImportError:
    pass

LIBRARIES = ("numpy", "math", "warnings", "contextlib")  # always guarded
TORCH_NAMES = frozenset({"torch", "F", "nn"})  # test cells using one of these: torch is guarded too
ALIASES = {"np": "numpy", "numpy": "numpy", "math": "math"}  # the course's import names
# Library attributes that libraries legitimately replace (logging.captureWarnings).
UNGUARDED = frozenset({"warnings.showwarning", "warnings.formatwarning"})
HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class whose attributes Python code can set


class Inventory:
    """names: the identifiers the test cells use; aliases: {name: "module" or "module.attribute"}
    bound by the provided cells' imports; preload: modules to import first (torch's lazily
    imported modules that patch guarded objects as they load)."""

    def __init__(self, names, aliases, preload):
        used = frozenset(names)
        wanted = dict(ALIASES, **(aliases or {}))
        self.wanted = {n: m for n, m in wanted.items() if n in used and not m.startswith("utils.testing")}
        tops = set(LIBRARIES)
        if TORCH_NAMES & used or any(m.split(".")[0] == "torch" for m in self.wanted.values()):
            tops.add("torch")
        if any(m.split(".")[0] == "utils" for m in self.wanted.values()):
            tops.add("utils")
        self.tops = frozenset(tops)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated attributes warn when touched
            self.bound = self._import()
            self.torch = sys.modules.get("torch") if "torch" in tops else None
            # What the tests use is what importing the libraries brings; modules imported later
            # (preload: torch's compiler stack, hundreds of modules) change it but are not guarded.
            self.first = frozenset(sys.modules)
            for name in preload:
                if name.split(".")[0] in tops:
                    _try_import(name)
            if self.torch is not None:
                _hook_optimizer_steps(self.torch)
            self.modules, self.classes, self.functions, self.hooks = self._walk()

    def guarded(self, name):
        return isinstance(name, str) and name.split(".")[0] in self.tops and not name.startswith("utils.testing")

    def _import(self):
        """Import the guarded libraries; {name: object} for the import names the tests use."""
        for top in sorted(self.tops):
            _try_import(top)
        bound = {}
        for n, target in self.wanted.items():
            if target.split(".")[0] not in self.tops:
                continue
            try:
                bound[n] = importlib.import_module(target)
            except ImportError:
                mod, _, attr = target.rpartition(".")
                try:
                    bound[n] = getattr(importlib.import_module(mod), attr)
                except (ImportError, AttributeError, ValueError):
                    pass
        return bound

    def _walk(self):
        """(module records, class records, Python functions, hook records) of the guarded modules."""
        modules, labels, classes, funcs, hooks = [], {}, {}, {}, []
        for name, mod in sorted(sys.modules.items(), key=lambda item: item[0].count(".")):
            if name not in self.first or not self.guarded(name) or not issubclass(type(mod), types.ModuleType):
                continue
            public = {}
            for k, v in list(vars(mod).items()):
                t = type(v)
                if issubclass(t, type):
                    if not k.startswith("_"):
                        labels.setdefault(v, f"{name}.{k}")
                    for c in v.__mro__:
                        if c.__flags__ & HEAP_TYPE and self.guarded(vars(c).get("__module__")):
                            classes.setdefault(c, None)
                elif name.startswith("torch") and "hook" in k.lower() and (issubclass(t, dict) or t is list):
                    hooks.append(HookRecord(mod, k, v, tuple(v.items()) if isinstance(v, dict) else tuple(v)))
                full = f"{name}.{k}"
                if k.startswith("_") or full in UNGUARDED or full == "utils.testing":
                    continue
                if callable(v) or issubclass(t, types.ModuleType):
                    public[k] = v
                    if t is types.FunctionType:
                        funcs.setdefault(v, None)
            modules.append(ModuleRecord(name, mod, mod.__dict__, tuple(public), tuple(public.values()), public))
        records = [_class_record(c, labels) for c in classes]
        for record in records:
            for v in record.attrs.values():
                f = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
                if type(f) is types.FunctionType:
                    funcs.setdefault(f, None)
        return modules, records, list(funcs), hooks


def _class_record(c, labels):
    d = vars(c)
    # methods, properties, nested classes: what code calls; not data (counters, caches)
    attrs = {k: v for k, v in d.items() if behaves(v)}
    label = labels.get(c) or f"{d.get('__module__', '?')}.{c.__qualname__}"
    return ClassRecord(c, d, tuple(attrs), tuple(attrs.values()), attrs, frozenset(d), label)


def _try_import(name):
    try:
        importlib.import_module(name)
    except ImportError:
        pass


def _hook_optimizer_steps(torch):
    """torch.optim wraps an optimizer class's `step` the first time one is created
    (Optimizer._patch_step_function); do it now so the classes stay as snapshotted."""
    opt = getattr(getattr(torch, "optim", None), "Optimizer", None)
    hook_step = getattr(opt, "profile_hook_step", None)
    if hook_step is None:
        return
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("torch.optim") or not isinstance(mod, types.ModuleType):
            continue
        for v in list(vars(mod).values()):
            if (issubclass(type(v), type) and v is not opt and issubclass(v, opt) and "step" in vars(v)
                    and not getattr(v.step, "hooked", None)):
                v.step = hook_step(v.step)
                v.step.hooked = True
