"""In the kernel: global state that reroutes calls without touching a library's attributes --
torch's mode stacks and saved-tensor hooks, IPython's execution hooks."""
import importlib
import os
import sys


class TorchModes:
    """torch's TorchFunctionMode and TorchDispatchMode stacks and its default saved-tensor hooks.
    `TorchModes.of(torch)` is None for a torch without the private functions this needs."""

    def __init__(self, torch_c, autograd, device_context):
        c, a = torch_c, autograd
        self.fn_len, self.fn_at = c._len_torch_function_stack, c._get_function_stack_at
        self.fn_pop, self.fn_push = c._pop_torch_function_stack, c._push_on_torch_function_stack
        self.dispatch_len, self.dispatch_pop = c._len_torch_dispatch_stack, c._pop_torch_dispatch_stack
        self.saved_top, self.saved_pop = a._top_saved_tensors_default_hooks, a._pop_saved_tensors_default_hooks
        self.device_context = device_context  # torch.set_default_device's mode: not a way to change results
        self.fn, self.dispatch, self.saved = self.fn_len(), self.dispatch_len(), self.saved_top(False)

    @classmethod
    def of(cls, torch):
        if torch is None:
            return None
        try:
            device_context = importlib.import_module("torch.utils._device").DeviceContext
        except (ImportError, AttributeError):
            device_context = None
        try:
            return cls(torch._C, getattr(torch._C, "_autograd", None), device_context)
        except AttributeError:  # another torch version: not guarded
            return None

    def restore(self):
        keep = []
        while self.fn_len() > self.fn:
            m = self.fn_pop()
            if self.device_context is not None and type(m) is self.device_context:
                keep.append(m)
        for m in reversed(keep):
            self.fn_push(m)
        while self.dispatch_len() > self.dispatch:
            self.dispatch_pop()
        if self.saved is None:
            while self.saved_top(False) is not None:
                self.saved_pop()

    def changes(self):
        out = []
        dc = self.device_context
        if any(dc is None or type(self.fn_at(i)) is not dc for i in range(self.fn, self.fn_len())):
            out.append("torch function mode (TorchFunctionMode)")
        if self.dispatch_len() != self.dispatch:
            out.append("torch dispatch mode (TorchDispatchMode)")
        if self.saved_top(False) != self.saved:
            out.append("torch saved-tensor hooks")
        return out


class IPythonHooks:
    """IPython's input/AST transformers, custom exception handlers, event callbacks, and
    methods of the shell/kernel replaced by instance attributes."""

    def __init__(self, shell, kernel):
        self.shell = shell
        itm = shell.input_transformer_manager
        self.lists = [(owner, attr, getattr(owner, attr), tuple(getattr(owner, attr)))
                      for owner, attr in ((shell, "input_transformers_cleanup"), (shell, "input_transformers_post"),
                                          (shell, "ast_transformers"), (itm, "cleanup_transforms"),
                                          (itm, "line_transforms"), (itm, "token_transformers"))]
        self.custom_exceptions = shell.custom_exceptions
        self.events, self.callbacks = shell.events, shell.events.callbacks
        self.installed = {ev: tuple(cbs) for ev, cbs in self.callbacks.items()}
        self.env_roots = tuple({p + os.sep for p in (sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix),
                                                     os.path.realpath(sys.base_prefix))})
        self.objects = [(obj, frozenset(vars(obj))) for obj in (shell, kernel, itm) if obj is not None]

    def _from_environment(self, cb):
        """A callback defined in installed packages (IPython, matplotlib), not in a cell."""
        f = getattr(cb, "__func__", cb)
        c = getattr(f, "__code__", None)
        return c is not None and c.co_filename.startswith(self.env_roots)

    def _shadows(self):
        return [(obj, k) for obj, keys in self.objects for k in list(vars(obj))
                if k not in keys and callable(getattr(type(obj), k, None))]

    def restore(self):
        shell, events, callbacks = self.shell, self.events, self.callbacks
        for owner, attr, lst, items in self.lists:
            if getattr(owner, attr) is not lst:
                setattr(owner, attr, lst)
            if tuple(lst) != items:
                lst[:] = items
        if shell.custom_exceptions != self.custom_exceptions:
            shell.custom_exceptions = self.custom_exceptions
        if shell.events is not events:
            shell.events = events
        if events.callbacks is not callbacks:
            events.callbacks = callbacks
        for ev, cbs in callbacks.items():
            keep = [cb for cb in cbs if cb in self.installed.get(ev, ()) or self._from_environment(cb)]
            if len(keep) != len(cbs):
                cbs[:] = keep
        for obj, k in self._shadows():
            delattr(obj, k)

    def changes(self):
        shell, events, callbacks = self.shell, self.events, self.callbacks
        out = ["IPython " + attr for owner, attr, lst, items in self.lists
               if getattr(owner, attr) is not lst or tuple(lst) != items]
        if shell.custom_exceptions != self.custom_exceptions:
            out.append("IPython custom_exceptions")
        if shell.events is not events or events.callbacks is not callbacks or any(
                cb not in self.installed.get(ev, ()) and not self._from_environment(cb)
                for ev, cbs in callbacks.items() for cb in cbs):
            out.append("IPython events")
        out += [f"IPython {type(obj).__name__}.{k}" for obj, k in self._shadows()]
        return out
