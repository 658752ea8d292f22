"""A faster compile for nutpie: lighter C wrappers, kept on disk beside PyTensor's own compiled code.

nutpie wraps each model's log density (and the values it stores, such as deterministics) in a
small numba C function. Compiling that wrapper is most of a model's compile time once PyTensor
has cached the log density itself: numba links the log density into the wrapper and compiles
the two together, about 1.6-2.5 s on a 2-core machine, for every model in every process. Two
changes to nutpie 0.16.11's wrappers, and one to what they call:

- **No shape-checked slice.** nutpie copies the gradient with ``out[...] = grad``. A slice
  assignment makes numba also compile the code that formats its shape-mismatch message (string
  formatting, ``repr`` of tuples), about 2.5 s once per process. The wrappers below copy element
  by element after checking the length, so numba has no message to format.
- **Cached on disk.** PyTensor already stores the compiled log density in its cache folder
  (``pytensor.config.base_compiledir``), under a key that identifies the computation. The
  wrappers are stored there too, under a key made of that key, the wrapper's source, the number
  of parameters and the layout of the data nutpie passes in (the number, rank and type of its data
  containers, not their values, which nutpie reads at run time). A model compiled before on the
  same machine, by a chapter, a test or a student's earlier run, loads its wrapper instead of
  compiling it again. Where PyTensor gives no key (its cache off, or an operation it cannot cache),
  nothing is cached.
- **Shape checks without formatted messages.** PyTensor checks each data container's shape
  against its dims (``SpecifyShape``) with an f-string message that numba must compile, with the
  string formatting of integers behind it: about 1.7 s of a process's first compile with an empty
  cache. nutpie's wrapper turns any error into a failed evaluation without its message, so while
  :func:`compile_model` runs, the check keeps its test and gets a fixed message (and a cache
  key of its own); PyTensor's own check is put back afterwards.

All three compute the same numbers as nutpie's own compile: a fit's draws are identical to
the bit (``tests/test_inference.py`` checks this). Only the nutpie version they were copied from is
changed; any other version is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

import numpy as np

#: The nutpie release these wrappers were copied from.
NUTPIE_VERSION = "0.16.11"

# The wrappers, as source: a function made from source has no closure, so numba can cache it under
# the key below (a closure's cached code would be keyed on its captured objects).
_LOGP_SOURCE = """
def hlmkit_logp_wrapper(dim, x_, out_, logp_, user_data_):
    if dim != n_dim:
        return -1
    try:
        x = numba.carray(x_, (n_dim,))
        out = numba.carray(out_, (n_dim,))
        logp = numba.carray(logp_, ())
        logp_val, grad = extract(x, user_data_)
        logp[()] = logp_val
        if grad.shape[0] != n_dim:
            return 1
        for i in range(n_dim):  # not out[...] = grad: see the module's docstring
            out[i] = grad[i]
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
"""

_EXPAND_SOURCE = """
def hlmkit_expand_wrapper(dim, expanded, x_, out_, user_data_):
    if dim != n_dim:
        return -1
    if expanded != n_expanded:
        return -1
    try:
        x = numba.carray(x_, (n_dim,))
        out = numba.carray(out_, (n_expanded,))
        (values,) = extract(x, user_data_)
        if values.shape[0] != n_expanded:
            return -2
        for i in range(n_expanded):
            out[i] = values[i]
    except Exception:
        return -2
    return 0
"""

# Set by compile_model while nutpie compiles with numba's cache on; the wrappers then need a key.
_caching = False


class _NotCacheable(Exception):
    """PyTensor gave the compiled function no cache key, so its wrapper cannot be keyed either."""


def _cache_key(source: str, inner: Any, n_dim: int, n_expanded: int, shared_keys, shared_data: dict) -> str | None:
    """Return the key a wrapper is cached under, or None where PyTensor did not cache ``inner``."""
    import numba
    import pytensor
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    py_func = getattr(inner, "py_func", None)
    if py_func is None or not pytensor.config.numba__cache:
        return None
    inner_key = CACHED_SRC_FUNCTIONS.get(py_func)
    if inner_key is None:
        return None
    # nutpie passes every data container through one record; its layout is their order, rank and type.
    order = list(shared_data)
    layout = [(shared_data[k].ndim, shared_data[k].dtype.str) for k in order]
    used = [order.index(k) for k in shared_keys]
    versions = (NUTPIE_VERSION, numba.__version__, pytensor.__version__)
    text = repr((versions, source, inner_key, n_dim, n_expanded, layout, used))
    return "hlmkit-" + hashlib.sha256(text.encode()).hexdigest()


def _wrapper(
    source: str, name: str, inner: Any, n_dim: int, n_expanded: int, user_data, shared_keys, shared_data: dict
):
    """Make the wrapper ``name`` defined in ``source``, registered with PyTensor's cache where it can be keyed."""
    import numba
    from nutpie.compile_pymc import make_extraction_fn
    from pytensor.link.numba.cache import compile_numba_function_src

    key = _cache_key(source, inner, n_dim, n_expanded, shared_keys, shared_data)
    if key is None and _caching:
        raise _NotCacheable
    extract = make_extraction_fn(inner, shared_data, shared_keys, user_data.dtype)
    # This module's globals (numba finds them again by module name when it loads a cached wrapper).
    names = globals() | {"numba": numba, "np": np, "extract": extract, "n_dim": n_dim, "n_expanded": n_expanded}
    return compile_numba_function_src(source, name, global_env=names, cache_key=key if _caching else None)


def _make_c_logp_func(n_dim, logp_fn, user_data, shared_keys, shared_data):
    import numba

    c_sig = numba.types.int64(
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )
    return _wrapper(_LOGP_SOURCE, "hlmkit_logp_wrapper", logp_fn, n_dim, 0, user_data, shared_keys, shared_data), c_sig


def _make_c_expand_func(n_dim, n_expanded, expand_fn, user_data, shared_var_keys, shared_data):
    import numba

    c_sig = numba.types.int64(
        numba.types.uint64,
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )
    wrapper = _wrapper(_EXPAND_SOURCE, "hlmkit_expand_wrapper", expand_fn, n_dim, n_expanded, user_data,
                       shared_var_keys, shared_data)
    return wrapper, c_sig


#: nutpie's own wrappers, kept when they are replaced (a test compares the two).
STOCK: dict[str, object] = {}


def use_fast_wrappers() -> bool:
    """Put the wrappers above into nutpie if it is the version they come from; say whether it was."""
    import nutpie
    import nutpie.compile_pymc as compile_pymc

    if nutpie.__version__ != NUTPIE_VERSION:
        return False
    for name, fast in (("_make_c_logp_func", _make_c_logp_func), ("_make_c_expand_func", _make_c_expand_func)):
        if getattr(compile_pymc, name) is not fast:
            STOCK[name] = getattr(compile_pymc, name)
            setattr(compile_pymc, name, fast)
    return True


#: Salt added to PyTensor's cache key of the shape check below, so that it is never mistaken for
#: PyTensor's own (whose message it does not format).
_SPECIFY_SHAPE_SALT = 20261207


def _specify_shape(op, node, **kwargs):
    """PyTensor's numba ``SpecifyShape``: the same assertions, each with a fixed message."""
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.link.utils import compile_function_src
    from pytensor.tensor.type_other import NoneTypeT

    names = [f"shape_{i}" for i in range(len(node.inputs) - 1)]
    checks = [
        f"assert x.shape[{i}] == {name}, 'SpecifyShape: dim {i} of the input does not have the specified length'"
        for i, (given, name) in enumerate(zip(node.inputs[1:], names, strict=True))
        if not isinstance(given.type, NoneTypeT)
    ]
    source = f"def specify_shape(x, {', '.join(names)}):\n    {'; '.join(checks) or 'pass'}\n    return x\n"
    return numba_basic.numba_njit(compile_function_src(source, "specify_shape", {})), _SPECIFY_SHAPE_SALT


@contextlib.contextmanager
def _unformatted_shape_checks():
    """Within the block, PyTensor's numba backend compiles ``SpecifyShape`` by :func:`_specify_shape`."""
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.tensor.shape import SpecifyShape

    keyed = numba_basic.numba_funcify_default_op_cache_key
    legacy = numba_basic.numba_funcify
    saved = (keyed.dispatch(SpecifyShape), legacy.dispatch(SpecifyShape))
    keyed.register(SpecifyShape, _specify_shape)
    legacy.register(SpecifyShape, lambda op, node=None, **kwargs: _specify_shape(op, node, **kwargs)[0])
    try:
        yield
    finally:
        keyed.register(SpecifyShape, saved[0])
        legacy.register(SpecifyShape, saved[1])


def compile_model(model):
    """``nutpie.compile_pymc_model(model, backend="numba")``, its wrappers cached where they can be.

    Shape checks are compiled with fixed messages (see the module's docstring).

    With another nutpie version than :data:`NUTPIE_VERSION`, nutpie's own compile, uncached.
    """
    import nutpie

    global _caching
    if not use_fast_wrappers():
        return nutpie.compile_pymc_model(model, backend="numba")
    with _unformatted_shape_checks():
        _caching = True
        try:
            return nutpie.compile_pymc_model(model, backend="numba", cache=True)
        except _NotCacheable:
            pass
        finally:
            _caching = False
        return nutpie.compile_pymc_model(model, backend="numba")
