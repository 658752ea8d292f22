"""A faster first compile for nutpie: its C wrappers copy the gradient without a shape-checked slice.

nutpie wraps each model's log density in a small numba function that copies the gradient out
with ``out[...] = grad``. A slice assignment makes numba also compile the code that formats its
shape-mismatch error message (string formatting, ``repr`` of tuples), about 2.5 s of a 2-core
machine, once in every process that compiles a model: in every chapter, every test process and
every grading kernel. The wrappers below are nutpie 0.16.11's, copying element by element after
checking the length, so numba has no message to format. They compute the same numbers: a fit's
draws are identical to the bit (``tests/test_inference.py`` checks that).

Only the nutpie version they were copied from is changed; any other version is left alone.
"""

from __future__ import annotations

import numpy as np

#: The nutpie release these wrappers were copied from.
NUTPIE_VERSION = "0.16.11"


def _make_c_logp_func(n_dim, logp_fn, user_data, shared_keys, shared_data):
    import numba
    from nutpie.compile_pymc import make_extraction_fn

    extract = make_extraction_fn(logp_fn, shared_data, shared_keys, user_data.dtype)
    c_sig = numba.types.int64(
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )

    def logp_numba(dim, x_, out_, logp_, user_data_):
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
        except Exception:  # noqa: BLE001
            return 1
        return 0

    return logp_numba, c_sig


def _make_c_expand_func(n_dim, n_expanded, expand_fn, user_data, shared_var_keys, shared_data):
    import numba
    from nutpie.compile_pymc import make_extraction_fn

    extract = make_extraction_fn(expand_fn, shared_data, shared_var_keys, user_data.dtype)
    c_sig = numba.types.int64(
        numba.types.uint64,
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )

    def expand_numba(dim, expanded, x_, out_, user_data_):
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
        except Exception:  # noqa: BLE001
            return -2
        return 0

    return expand_numba, c_sig


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
