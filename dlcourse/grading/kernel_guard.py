"""The grading guard that runs inside the student's kernel (autograde only).

dlcourse/grading/execute.py sends this file's source to each grading kernel right after
it starts, before any student code, and calls `install`.  Then, through an
execute request's `user_expressions` (which IPython evaluates without input
transformers, AST transformers or run-cell events, so student code cannot
rewrite the call), it calls the installed guard

- "before" every test cell: puts back what it snapshotted at install --
  builtins; the public functions, classes and submodules of the libraries
  the tests rely on (numpy, math, warnings, contextlib; torch and every
  torch.* module when the test cells use torch, F or nn; the course's utils.*
  modules the provided cells import names from) and their sys.modules
  entries; the attribute dicts of those libraries' Python classes
  (torch.Tensor, nn.Module and its subclasses, the torch.optim optimizers,
  np.errstate, ...: an added attribute is deleted, a changed one put back);
  the code, defaults and keyword defaults of their Python functions; torch's
  global module/optimizer hook registries, its TorchFunctionMode and
  TorchDispatchMode stacks and its default saved-tensor hooks; IPython's
  execution hooks.  utils/testing.py, read and compiled at start, is run
  into a brand-new module (its builtins a private copy of the pristine ones),
  registered as sys.modules["utils.testing"], and the helpers the test cells
  use are bound again in the user namespace; so are the library names the
  provided (locked) cells import and the test cells use (`np`, `math`,
  `torch`, `F`, `nn`, `optimizer_trajectory`, ...), and notebook globals
  that shadow a builtin the test cells use (`isinstance = ...`) are moved
  aside until the test is over;
- "after" the test cell: lists what differs from that state (a helper
  rebound or modified, a builtin, a numpy or torch function, a class
  attribute, a hook, a mode), so the grader fails a test whose helpers
  student code changed while it ran.

Each answer starts with a proof (sha256 of a secret given at install and a
fresh nonce), so the grader knows the real guard answered.  All of this runs
in the student's process: it raises the bar, it is not a proof (README).
"""

LIBRARIES = ("numpy", "math", "warnings", "contextlib")  # always guarded
TORCH_NAMES = frozenset({"torch", "F", "nn"})  # test cells using one of these: torch is guarded too
ALIASES = {"np": "numpy", "numpy": "numpy", "math": "math"}  # the course's import names
# Builtins that Python and IPython themselves set while running cells.
MANAGED_BUILTINS = frozenset({"_", "__", "___"})
# Library attributes that libraries legitimately replace (logging.captureWarnings).
UNGUARDED = frozenset({"warnings.showwarning", "warnings.formatwarning"})
MAX_REPORTED = 20  # changes named in one report
# Modules torch imports lazily, patching guarded objects as they load (torch._dynamo wraps
# torch.manual_seed, adds methods to classes, on an optimizer's first use): a notebook
# whose code names one of these identifiers gets the module imported at install.
LAZY_IMPORTS = {"torch._dynamo": frozenset({"optim", "Optimizer", "compile", "_dynamo", "checkpoint", "library"})}


def install(secret, key, names, aliases=None, preload=()):
    """Snapshot the pristine state and put `guard(nonce, phase)` in the user namespace as `key`.

    names: the identifiers the notebook's test cells use.
    aliases: {name: "module" or "module.attribute"} bound by the imports of the
    notebook's provided (locked) cells; those the test cells use are rebound
    before each test.
    preload: modules to import first (of LAZY_IMPORTS, those the notebook's code calls for).
    """
    import builtins
    import contextlib  # noqa: F401  (imported so its state is snapshotted)
    import hashlib
    import importlib
    import importlib.util
    import math  # noqa: F401
    import operator
    import os
    import sys
    import types
    import warnings

    import numpy  # noqa: F401
    from IPython.core.getipython import get_ipython

    missing = object()
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    user_ns = shell.user_ns
    modules = sys.modules
    bdict = builtins.__dict__
    pristine = dict(bdict)
    sha = hashlib.sha256
    module_type, function_type = types.ModuleType, types.FunctionType
    heap_type = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class whose attributes Python code can set
    type_setattr, type_delattr = type.__setattr__, type.__delattr__
    names = tuple(names)
    used = frozenset(names)

    spec = importlib.util.find_spec("utils")
    path = os.path.join(list(spec.submodule_search_locations)[0], "testing.py")
    with open(path, encoding="utf-8") as fh:
        code = compile(fh.read(), path, "exec")

    # What the test cells rely on: the libraries, torch if they use it, the utils modules
    # the provided cells import from (utils.testing has its own fresh copy, below).
    wanted = dict(ALIASES)
    wanted.update(aliases or {})
    wanted = {n: m for n, m in wanted.items() if n in used and not m.startswith("utils.testing")}
    tops = set(LIBRARIES)
    if TORCH_NAMES & used or any(m.split(".")[0] == "torch" for m in wanted.values()):
        tops.add("torch")
    if any(m.split(".")[0] == "utils" for m in wanted.values()):
        tops.add("utils")
    bound = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated attributes warn when touched
        for top in sorted(tops):
            try:
                importlib.import_module(top)
            except ImportError:
                pass
        for n, target in wanted.items():
            if target.split(".")[0] not in tops:
                continue
            try:
                bound[n] = importlib.import_module(target)
            except ImportError:
                mod, _, attr = target.rpartition(".")
                try:
                    bound[n] = getattr(importlib.import_module(mod), attr)
                except (ImportError, AttributeError, ValueError):
                    pass
    torch = modules.get("torch") if "torch" in tops else None
    # What the tests use is what importing the libraries brings; modules imported later
    # (preload: torch's compiler stack, hundreds of modules) change it but are not guarded.
    first = frozenset(modules)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in preload:
            if name.split(".")[0] in tops:
                try:
                    importlib.import_module(name)
                except ImportError:
                    pass

    def behaves(v):
        """A value that is code or decides which code runs: callables and descriptors."""
        return callable(v) or getattr(type(v), "__get__", None) is not None

    def guarded(name):
        return isinstance(name, str) and name.split(".")[0] in tops and not name.startswith("utils.testing")

    if torch is not None:
        # torch.optim wraps an optimizer class's `step` the first time one is created
        # (Optimizer._patch_step_function); do it now so the classes stay as snapshotted.
        opt = getattr(getattr(torch, "optim", None), "Optimizer", None)
        hook_step = getattr(opt, "profile_hook_step", None)
        if hook_step is not None:
            for mod_name, mod in list(modules.items()):
                if not mod_name.startswith("torch.optim") or not isinstance(mod, module_type):
                    continue
                for v in list(vars(mod).values()):
                    if (issubclass(type(v), type) and v is not opt and issubclass(v, opt) and "step" in vars(v)
                            and not getattr(v.step, "hooked", None)):
                        v.step = hook_step(v.step)
                        v.step.hooked = True

    libs, labels, classes, funcs, hooks = [], {}, {}, {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, mod in sorted(modules.items(), key=lambda item: item[0].count(".")):
            if name not in first or not guarded(name) or not issubclass(type(mod), module_type):
                continue
            public = {}
            for k, v in list(vars(mod).items()):
                t = type(v)
                if issubclass(t, type):
                    if not k.startswith("_"):
                        labels.setdefault(v, f"{name}.{k}")
                    for c in v.__mro__:
                        if c.__flags__ & heap_type and guarded(vars(c).get("__module__")):
                            classes.setdefault(c, None)
                elif name.startswith("torch") and "hook" in k.lower() and (issubclass(t, dict) or t is list):
                    # global hook registries (nn.Module forward hooks, optimizer step hooks)
                    hooks.append((mod, k, v, tuple(v.items()) if isinstance(v, dict) else tuple(v)))
                full = f"{name}.{k}"
                if k.startswith("_") or full in UNGUARDED or full == "utils.testing":
                    continue
                if callable(v) or issubclass(t, module_type):
                    public[k] = v
                    if t is function_type:
                        funcs.setdefault(v, None)
            libs.append((name, mod, mod.__dict__, tuple(public), tuple(public.values()), public))
        class_attrs = []
        for c in classes:
            d = vars(c)
            # methods, properties, nested classes: what code calls; not data (counters, caches)
            attrs = {k: v for k, v in d.items() if behaves(v)}
            label = labels.get(c) or f"{d.get('__module__', '?')}.{c.__qualname__}"
            class_attrs.append((c, d, tuple(attrs), tuple(attrs.values()), attrs, frozenset(d), label))
            for v in attrs.values():
                f = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
                if type(f) is function_type:
                    funcs.setdefault(f, None)
    func_state = [(f, f.__code__, f.__defaults__, f.__kwdefaults__) for f in funcs]
    # identity checks over thousands of objects, looped in C (map/all) to stay cheap per test
    is_, get_code = operator.is_, operator.attrgetter("__code__")
    get_defaults, get_kwdefaults = operator.attrgetter("__defaults__"), operator.attrgetter("__kwdefaults__")
    all_funcs = tuple(f for f, *_ in func_state)
    all_codes, all_defaults, all_kwdefaults = (tuple(x[i] for x in func_state) for i in (1, 2, 3))

    def unchanged(d, keys, values):
        """Every key of `d` still holds the very object it held (C-speed loop)."""
        return all(map(is_, map(d.get, keys), values))

    def funcs_unchanged():
        return (all(map(is_, map(get_code, all_funcs), all_codes))
                and all(map(is_, map(get_defaults, all_funcs), all_defaults))
                and all(map(is_, map(get_kwdefaults, all_funcs), all_kwdefaults)))

    # torch's global state that reroutes every call: modes, default saved-tensor hooks.
    modes = None
    if torch is not None:
        C, A = torch._C, getattr(torch._C, "_autograd", None)
        try:
            device_context = importlib.import_module("torch.utils._device").DeviceContext
        except (ImportError, AttributeError):
            device_context = None
        try:
            modes = dict(
                fn_len=C._len_torch_function_stack, fn_at=C._get_function_stack_at,
                fn_pop=C._pop_torch_function_stack, fn_push=C._push_on_torch_function_stack,
                dispatch_len=C._len_torch_dispatch_stack, dispatch_pop=C._pop_torch_dispatch_stack,
                saved_top=A._top_saved_tensors_default_hooks, saved_pop=A._pop_saved_tensors_default_hooks,
                device_context=device_context)
            modes.update(fn=modes["fn_len"](), dispatch=modes["dispatch_len"](), saved=modes["saved_top"](False))
        except AttributeError:  # another torch version: not guarded
            modes = None

    # IPython's hooks: lists of transformers, custom exception handlers, events.
    itm = shell.input_transformer_manager
    hook_lists = [(owner, attr, getattr(owner, attr), tuple(getattr(owner, attr)))
                  for owner, attr in ((shell, "input_transformers_cleanup"), (shell, "input_transformers_post"),
                                      (shell, "ast_transformers"), (itm, "cleanup_transforms"),
                                      (itm, "line_transforms"), (itm, "token_transformers"))]
    custom_exceptions = shell.custom_exceptions
    events, callbacks = shell.events, shell.events.callbacks
    installed_callbacks = {ev: tuple(cbs) for ev, cbs in callbacks.items()}
    env_roots = tuple({p + os.sep for p in (sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix),
                                            os.path.realpath(sys.base_prefix))})
    objects = [(obj, frozenset(vars(obj))) for obj in (shell, kernel, itm) if obj is not None]

    def from_environment(cb):
        """A callback defined in installed packages (IPython, matplotlib), not in a cell."""
        f = getattr(cb, "__func__", cb)
        c = getattr(f, "__code__", None)
        return c is not None and c.co_filename.startswith(env_roots)

    def shadows():
        """Methods of the shell/kernel replaced by instance attributes since the start."""
        out = []
        for obj, keys in objects:
            for k in list(vars(obj)):
                if k not in keys and callable(getattr(type(obj), k, None)):
                    out.append((obj, k))
        return out

    def same(now, then):
        return len(now) == len(then) and all(a is b for a, b in zip(now, then))

    def same_items(now, then):
        return len(now) == len(then) and all(a is c and b is d for (a, b), (c, d) in zip(now, then))

    def added(d, attrs):
        """Methods (or other callables, descriptors) added to a class dict since install."""
        return [k for k, v in d.items() if k not in attrs and behaves(v)]

    def class_changed(d, names, values, attrs, keys):
        return not unchanged(d, names, values) or (d.keys() != keys and bool(added(d, attrs)))

    def hooks_changed(mod, k, obj, items):
        if mod.__dict__.get(k, missing) is not obj:
            return True
        return not (same_items(tuple(obj.items()), items) if isinstance(obj, dict) else same(tuple(obj), items))

    def extra_modes():
        """What torch's mode stacks and saved-tensor hooks hold beyond their state at install."""
        if modes is None:
            return []
        out = []
        dc = modes["device_context"]
        if any(dc is None or type(modes["fn_at"](i)) is not dc for i in range(modes["fn"], modes["fn_len"]())):
            out.append("torch function mode (TorchFunctionMode)")
        if modes["dispatch_len"]() != modes["dispatch"]:
            out.append("torch dispatch mode (TorchDispatchMode)")
        if modes["saved_top"](False) != modes["saved"]:
            out.append("torch saved-tensor hooks")
        return out

    def restore_modes():
        if modes is None:
            return
        keep = []
        while modes["fn_len"]() > modes["fn"]:
            m = modes["fn_pop"]()
            if modes["device_context"] is not None and type(m) is modes["device_context"]:
                keep.append(m)  # torch.set_default_device: not a way to change results
        for m in reversed(keep):
            modes["fn_push"](m)
        while modes["dispatch_len"]() > modes["dispatch"]:
            modes["dispatch_pop"]()
        if modes["saved"] is None:
            while modes["saved_top"](False) is not None:
                modes["saved_pop"]()

    state = {"stash": {}}

    def fresh_helpers():
        mod = module_type("utils.testing")
        g = mod.__dict__
        g["__file__"] = path
        g["__builtins__"] = dict(pristine)
        exec(code, g)
        modules["utils.testing"] = mod
        pkg = modules.get("utils")
        if isinstance(pkg, module_type):
            pkg.testing = mod
        if "helpers" not in state:  # what the module defines (not what it imports)
            state["helpers"] = tuple(n for n in names if getattr(g.get(n), "__module__", None) == "utils.testing")
            state["builtins_used"] = tuple(n for n in names if n in pristine and n not in state["helpers"])
        for n in state["helpers"]:
            user_ns[n] = g[n]
        funcs, classes = {}, {}
        for k, v in g.items():
            if isinstance(v, function_type):
                funcs[k] = (v, v.__code__, v.__defaults__, v.__kwdefaults__,
                            tuple(c.cell_contents for c in v.__closure__ or ()))
            elif isinstance(v, type) and v.__module__ == "utils.testing":
                classes[k] = (v, dict(vars(v)))
        state.update(mod=mod, g=g, snap=dict(g), builtins=dict(g["__builtins__"]), funcs=funcs, classes=classes)

    def restore():
        for k, v in pristine.items():
            if bdict.get(k, missing) is not v:
                bdict[k] = v
        for k in [k for k in bdict if k not in pristine and k not in MANAGED_BUILTINS]:
            del bdict[k]
        if user_ns.get("__builtins__", missing) is not builtins:
            user_ns["__builtins__"] = builtins
        for n, obj in bound.items():
            user_ns[n] = obj
        if sys.modules is not modules:
            sys.modules = modules
        for name, mod, d, ks, vs, public in libs:
            if modules.get(name, missing) is not mod:
                modules[name] = mod
            if not unchanged(d, ks, vs):
                for k, v in public.items():
                    if d.get(k, missing) is not v:
                        d[k] = v
        for cls, d, ks, vs, attrs, keys, _ in class_attrs:
            if class_changed(d, ks, vs, attrs, keys):
                for k in added(d, attrs):
                    type_delattr(cls, k)
                for k, v in attrs.items():
                    if d.get(k, missing) is not v:
                        type_setattr(cls, k, v)
        if not funcs_unchanged():
            for f, c, dflt, kw in func_state:
                if f.__code__ is not c:
                    f.__code__ = c
                if f.__defaults__ is not dflt:
                    f.__defaults__ = dflt
                if f.__kwdefaults__ is not kw:
                    f.__kwdefaults__ = kw
        for mod, k, obj, items in hooks:
            if hooks_changed(mod, k, obj, items):
                mod.__dict__[k] = obj
                obj.clear()
                if isinstance(obj, dict):
                    obj.update(items)
                else:
                    obj.extend(items)
        restore_modes()
        for owner, attr, lst, items in hook_lists:
            if getattr(owner, attr) is not lst:
                setattr(owner, attr, lst)
            if tuple(lst) != items:
                lst[:] = items
        if shell.custom_exceptions != custom_exceptions:
            shell.custom_exceptions = custom_exceptions
        if shell.events is not events:
            shell.events = events
        if events.callbacks is not callbacks:
            events.callbacks = callbacks
        for ev, cbs in callbacks.items():
            keep = [cb for cb in cbs if cb in installed_callbacks.get(ev, ()) or from_environment(cb)]
            if len(keep) != len(cbs):
                cbs[:] = keep
        for obj, k in shadows():
            delattr(obj, k)
        fresh_helpers()
        state["stash"] = {n: user_ns.pop(n) for n in state["builtins_used"] if n in user_ns}

    def unstash():
        """Give the notebook back its own globals named like builtins."""
        stash, state["stash"] = state["stash"], {}
        for n, v in stash.items():
            user_ns.setdefault(n, v)

    def changes():
        out = []
        for k, v in pristine.items():
            if bdict.get(k, missing) is not v:
                out.append("builtins." + k)
        out += ["builtins." + n for n in state["helpers"] if n in bdict and n not in pristine]
        if user_ns.get("__builtins__", missing) is not builtins:
            out.append("__builtins__")
        out += [f"{n} (rebound in the notebook)" for n in state["builtins_used"] if n in user_ns]
        out += [n for n, obj in bound.items() if user_ns.get(n, missing) is not obj]
        for name, mod, d, ks, vs, public in libs:
            if modules.get(name, missing) is not mod:
                out.append(f"sys.modules[{name!r}]")
            if not unchanged(d, ks, vs):
                out += [f"{name}.{k}" for k, v in public.items() if d.get(k, missing) is not v]
        for cls, d, ks, vs, attrs, keys, label in class_attrs:
            if class_changed(d, ks, vs, attrs, keys):
                out += [f"{label}.{k}" for k, v in attrs.items() if d.get(k, v) is not v]
                out += [f"{label}.{k} (deleted)" for k in attrs if k not in d]
                out += [f"{label}.{k} (added)" for k in added(d, attrs)]
        if not funcs_unchanged():
            out += [f"{getattr(f, '__module__', '?')}.{f.__qualname__} (modified)" for f, c, dflt, kw in func_state
                    if f.__code__ is not c or f.__defaults__ is not dflt or f.__kwdefaults__ is not kw]
        out += [f"{mod.__name__}.{k}" for mod, k, obj, items in hooks if hooks_changed(mod, k, obj, items)]
        out += extra_modes()
        g = state["g"]
        if modules.get("utils.testing", missing) is not state["mod"]:
            out.append("sys.modules['utils.testing']")
        out += [n for n in state["helpers"] if user_ns.get(n, missing) is not g[n]]
        out += [f"utils.testing.{k}" for k, v in state["snap"].items() if g.get(k, missing) is not v]
        priv = g["__builtins__"]
        out += [f"utils.testing builtins.{k}" for k, v in state["builtins"].items() if priv.get(k, missing) is not v]
        for k, (f, c, d, kw, cells) in state["funcs"].items():
            now = tuple(x.cell_contents for x in f.__closure__ or ())
            if (f.__code__ is not c or f.__defaults__ is not d or f.__kwdefaults__ is not kw
                    or len(now) != len(cells) or any(a is not b for a, b in zip(now, cells))):
                out.append(f"utils.testing.{k} (modified)")
        for k, (cls, attrs) in state["classes"].items():
            now = vars(cls)
            if set(now) != set(attrs) or any(now[a] is not attrs[a] for a in attrs):
                out.append(f"utils.testing.{k} (modified)")
        for owner, attr, lst, items in hook_lists:
            if getattr(owner, attr) is not lst or tuple(lst) != items:
                out.append("IPython " + attr)
        if shell.custom_exceptions != custom_exceptions:
            out.append("IPython custom_exceptions")
        if shell.events is not events or events.callbacks is not callbacks or any(
                cb not in installed_callbacks.get(ev, ()) and not from_environment(cb)
                for ev, cbs in callbacks.items() for cb in cbs):
            out.append("IPython events")
        out += [f"IPython {type(obj).__name__}.{k}" for obj, k in shadows()]
        if len(out) > MAX_REPORTED:
            out = out[:MAX_REPORTED] + [f"{len(out) - MAX_REPORTED} more"]
        return out

    def guard(nonce, phase):
        proof = sha((secret + nonce).encode()).hexdigest()
        try:
            if phase == "before":
                restore()
                return proof + "|"
            found = changes()
            unstash()
            return proof + "|" + ",".join(found)
        except Exception as e:  # noqa: BLE001  (reported to the grader, who fails the test)
            return proof + "|!" + type(e).__name__ + ": " + str(e)

    user_ns[key] = guard
    return sha((secret + "installed").encode()).hexdigest()
