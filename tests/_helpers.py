"""Helpers shared by test modules of several subpackages (tests do not import test modules)."""

import importlib
import inspect
import types


def _has_examples(obj) -> bool:
    doc = inspect.getdoc(obj) or ""
    return "Examples\n--------" in doc and ">>>" in doc


def public_symbols(module_name: str):
    """Yield ``(dotted name, object, inherited)`` for the public symbols of ``module_name``: its ``__all__``
    (public submodules included, recursively) and the public methods and properties of its public classes.

    ``object`` is the function itself for a method (``fget`` for a property); ``inherited`` is what the class
    resolves a method's name to (a base's method when an override has no docstring of its own), ``None`` for
    module-level names and properties.
    """
    mod = importlib.import_module(module_name)
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        if isinstance(obj, types.ModuleType):
            yield from public_symbols(obj.__name__)
            continue
        yield f"{module_name}.{name}", obj, None
        if inspect.isclass(obj):
            for attr, val in vars(obj).items():
                fn = val.fget if isinstance(val, property) else getattr(val, "__func__", val)
                if attr.startswith("_") or not inspect.isfunction(fn):
                    continue
                yield f"{module_name}.{name}.{attr}", fn, None if isinstance(val, property) else getattr(obj, attr)


def missing_examples(module_name: str) -> list[str]:
    """Public symbols of ``module_name`` (:func:`public_symbols`) whose docstring has no ``Examples`` section with
    a ``>>>`` example (a constant -- a catalogue dict, a default size -- is documented where it is defined)."""
    out = []
    for name, obj, inherited in public_symbols(module_name):
        if not callable(obj):
            continue
        # an override without a docstring of its own inherits its base's (inspect.getdoc finds it)
        if not _has_examples(obj) and not (inherited is not None and obj.__doc__ is None and _has_examples(inherited)):
            out.append(name)
    return out
