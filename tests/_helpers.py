"""Helpers shared by test modules of several subpackages (tests do not import test modules)."""

import importlib
import inspect
import types


def _has_examples(obj) -> bool:
    doc = inspect.getdoc(obj) or ""
    return "Examples\n--------" in doc and ">>>" in doc


def missing_examples(module_name: str) -> list[str]:
    """Public symbols of ``module_name`` (its ``__all__``, public submodules included, and the public methods and
    properties of public classes) whose docstring has no ``Examples`` section with a ``>>>`` example."""
    mod = importlib.import_module(module_name)
    out = []
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        if isinstance(obj, types.ModuleType):
            out += missing_examples(obj.__name__)
            continue
        if not callable(obj):
            continue  # a constant (a catalogue dict, a default size) is documented where it is defined
        if not _has_examples(obj):
            out.append(f"{module_name}.{name}")
        if inspect.isclass(obj):
            for attr, val in vars(obj).items():
                fn = val.fget if isinstance(val, property) else getattr(val, "__func__", val)
                if attr.startswith("_") or not inspect.isfunction(fn):
                    continue
                # an override without a docstring of its own inherits its base's (inspect.getdoc finds it)
                inherited = None if isinstance(val, property) else getattr(obj, attr)
                if not _has_examples(fn) and not (
                    inherited is not None and fn.__doc__ is None and _has_examples(inherited)
                ):
                    out.append(f"{module_name}.{name}.{attr}")
    return out
