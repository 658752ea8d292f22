"""What the functions reading a fit share: checks of the fit, of its variables and of its model; quiet PyMC."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import pymc as pm
import xarray as xr

_SAMPLE_DIMS = ("chain", "draw")


def _check_tree(idata: object, group: str = "posterior") -> xr.DataTree:
    if not isinstance(idata, xr.DataTree) or group not in idata.children:
        raise TypeError(
            f"`idata` must be an xarray.DataTree with a {group!r} group (a fit from hlmkit.sample, "
            f"or the output of hlmkit.prior_predictive / posterior_predictive), got {type(idata).__name__}"
            + (f" with groups {list(idata.children)}" if isinstance(idata, xr.DataTree) else "")
            + "."
        )
    return idata


def _check_model(model: object) -> pm.Model:
    if not isinstance(model, pm.Model):
        raise TypeError(f"`model` must be a pymc.Model (from an hlmkit builder), got {type(model).__name__}.")
    return model


def _check_fit_of(idata: xr.DataTree, model: pm.Model) -> None:
    """Raise unless the posterior holds every free variable of ``model``, with the model's shapes."""
    posterior = idata.posterior
    missing = [v.name for v in model.free_RVs if v.name not in posterior.data_vars]
    if missing:
        raise ValueError(
            f"The posterior lacks the model's free variable(s) {missing}: `idata` is not a fit of this `model`."
        )
    shapes = model.eval_rv_shapes()
    wrong = {
        v.name: (tuple(int(k) for k in shapes[v.name]), posterior[v.name].shape[2:])
        for v in model.free_RVs
        if tuple(int(k) for k in shapes[v.name]) != tuple(posterior[v.name].shape[2:])
    }
    if wrong:
        raise ValueError(
            f"The posterior's draws have other shapes than the model's variables (model, posterior): {wrong}: "
            "`idata` is not a fit of this `model`."
        )


class _quiet_pymc:
    """Silence the `pymc` logger's 'Sampling: [...]' line while PyMC runs (the book reports itself)."""

    def __enter__(self) -> None:
        self._logger = logging.getLogger("pymc")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self._logger.setLevel(self._level)


def _check_sampled(idata: object) -> xr.DataTree:
    """Return ``idata`` if it is a fit from :func:`hlmkit.sample` (a tree with a posterior), else raise."""
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise TypeError(
            f"`idata` must be the xarray.DataTree returned by hlmkit.sample (with a posterior group), "
            f"got {type(idata).__name__}."
        )
    return idata


def _scalar_posterior(idata: xr.DataTree, name: str, argument: str) -> xr.DataArray:
    """Return the draws (chain, draw) of the scalar posterior variable ``name``, passed as ``argument``."""
    available = list(idata.posterior.data_vars)
    if name not in available:
        raise KeyError(f"`{argument}`={name!r} is not in the posterior. Available: {available}.")
    draws = idata.posterior[name]
    if set(draws.dims) != set(_SAMPLE_DIMS):
        raise ValueError(f"`{argument}`={name!r} must be a scalar parameter, but has dims {draws.dims}.")
    return draws.transpose(*_SAMPLE_DIMS)


def _check_var_names(idata: xr.DataTree, var_names: Sequence[str] | None) -> list[str]:
    """Return the posterior variables named (all by default), refusing names the posterior lacks."""
    available = list(idata.posterior.data_vars)
    if var_names is None:
        return available
    if isinstance(var_names, str):
        var_names = [var_names]
    if isinstance(var_names, Iterable) and not isinstance(var_names, Mapping):
        var_names = list(var_names)
    if not isinstance(var_names, list) or not all(isinstance(v, str) for v in var_names):
        raise TypeError(
            f"`var_names` must be a variable name or a list of variable names (str), got {var_names!r}. "
            f"Available: {available}."
        )
    if len(var_names) == 0:
        raise ValueError(f"`var_names` is empty: name the quantities to check, e.g. {available[:3]}.")
    missing = [v for v in var_names if v not in available]
    if missing:
        raise KeyError(f"Variable(s) {missing} not in the posterior. Available: {available}.")
    return list(var_names)
