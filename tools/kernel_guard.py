"""The grading guard that runs inside the student's kernel (autograde only).

tools/execute.py sends this file's source to each grading kernel right after
it starts, before any student code, and calls `install`.  Then, through an
execute request's `user_expressions` (which IPython evaluates without input
transformers, AST transformers or run-cell events, so student code cannot
rewrite the call), it calls the installed guard

- "before" every test cell: builtins, the public functions and sys.modules
  entries of the libraries the helpers import (numpy, math, warnings,
  contextlib) and IPython's execution hooks are put back as they were when
  the kernel started; utils/testing.py, read and compiled at start, is run
  into a brand-new module (its builtins a private copy of the pristine
  ones), registered as sys.modules["utils.testing"], and the helpers the
  test cells use are bound again in the user namespace; so are `np` and
  `math`, and notebook globals that shadow a builtin the test cells use
  (`isinstance = ...`) are moved aside until the test is over;
- "after" the test cell: lists what differs from that state (a helper
  rebound or modified, a builtin, a numpy function, a hook), so the grader
  fails a test whose helpers student code changed while it ran.

Each answer starts with a proof (sha256 of a secret given at install and a
fresh nonce), so the grader knows the real guard answered.  All of this runs
in the student's process: it raises the bar, it is not a proof (README).
"""

LIBRARIES = ("numpy", "math", "warnings", "contextlib")
ALIASES = {"np": "numpy", "numpy": "numpy", "math": "math"}  # the course's import names
# Builtins that Python and IPython themselves set while running cells.
MANAGED_BUILTINS = frozenset({"_", "__", "___"})
# Library attributes that libraries legitimately replace (logging.captureWarnings).
UNGUARDED = frozenset({"warnings.showwarning", "warnings.formatwarning"})


def install(secret, key, names):
    """Snapshot the pristine state and put `guard(nonce, phase)` in the user namespace as `key`.

    names: the identifiers the notebook's test cells use.
    """
    import builtins
    import contextlib  # noqa: F401  (imported so its state is snapshotted)
    import hashlib
    import importlib.util
    import math  # noqa: F401
    import os
    import sys
    import types
    import warnings  # noqa: F401

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
    names = tuple(names)

    spec = importlib.util.find_spec("utils")
    path = os.path.join(list(spec.submodule_search_locations)[0], "testing.py")
    with open(path, encoding="utf-8") as fh:
        code = compile(fh.read(), path, "exec")

    libs = []
    aliases = {n: modules[ALIASES[n]] for n in names if n in ALIASES}
    for name, mod in list(modules.items()):
        if (name in LIBRARIES or name.startswith("numpy.")) and isinstance(mod, module_type):
            public = {k: v for k, v in vars(mod).items()
                      if not k.startswith("_") and (callable(v) or isinstance(v, module_type))
                      and f"{name}.{k}" not in UNGUARDED}
            libs.append((name, mod, public))

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
        for n, mod in aliases.items():
            user_ns[n] = mod
        if sys.modules is not modules:
            sys.modules = modules
        for name, mod, public in libs:
            if modules.get(name, missing) is not mod:
                modules[name] = mod
            d = mod.__dict__
            for k, v in public.items():
                if d.get(k, missing) is not v:
                    d[k] = v
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
        out += [n for n, mod in aliases.items() if user_ns.get(n, missing) is not mod]
        for name, mod, public in libs:
            if modules.get(name, missing) is not mod:
                out.append(f"sys.modules[{name!r}]")
            d = mod.__dict__
            out += [f"{name}.{k}" for k, v in public.items() if d.get(k, missing) is not v]
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
