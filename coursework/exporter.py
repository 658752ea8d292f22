"""What runs in the student's kernel at each exercise: write the answer's values to files, as data.

The grader never checks an answer in the student's own Python session, which the student's code
controls (it can rebind the check helpers, or rewrite every later cell with an IPython input
transformer). Instead, where the checks of an exercise used to run, the kernel runs
:func:`export_answers`, which writes the values the checks read into a folder as JSON, ``.npy``
(without pickle), Parquet, and a PyMC model as :func:`hlmkit.exercises.model_summary`. The grader
reads them back with :mod:`coursework.trusted`, which trusts nothing in them, and runs the checks
in a kernel of its own.

This module's source is sent to the student's kernel as cell text (the kernel cannot import
``coursework``), so it imports only what a chapter's kernel has: the standard library, NumPy,
pandas and, for models, PyMC and hlmkit.
"""

from __future__ import annotations

from typing import Any


def export_answers(
    namespace: dict[str, Any], names: list[str], folder: str, attributes: dict[str, list[str]] | None = None
) -> None:
    """Write ``namespace[name]`` for each of ``names`` into ``folder``, with a ``manifest.json``.

    A value of another type (a statsmodels fit, say) is written as the attributes the checks read
    of it, ``attributes[name]`` (e.g. ``["converged"]``), each as a value of its own.

    Each value becomes an entry of the manifest: ``missing`` (the name is not bound), ``json``,
    ``list``/``tuple``/``dict`` (of entries), ``npy`` (a NumPy array or scalar), ``parquet`` (a
    pandas table or series), ``datatree`` (an ArviZ fit: its arrays by group), ``model`` (a PyMC
    model's summary), ``object`` (some attributes) or ``unsupported`` (its type name). A value
    that fails to export becomes ``unsupported`` with the error: the export itself never raises
    for a student's value.
    """
    import json
    import os

    os.makedirs(folder, exist_ok=True)
    counter = [0]

    def file(suffix: str) -> str:
        counter[0] += 1
        return f"v{counter[0]}{suffix}"

    def encode(value: Any, depth: int = 0) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        if depth > 20:
            return {"kind": "unsupported", "type": "nested more than 20 deep"}
        if value is None or type(value) in (bool, int, float, str):
            if type(value) is int and abs(value) > 2**63:
                return {"kind": "unsupported", "type": "int larger than 2**63"}
            return {"kind": "json", "value": value}
        if type(value) in (list, tuple):
            return {"kind": type(value).__name__, "items": [encode(item, depth + 1) for item in value]}
        if type(value) is dict and all(type(key) is str for key in value):
            return {"kind": "dict", "items": {key: encode(item, depth + 1) for key, item in value.items()}}
        if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in "biufcUSM":
            name = file(".npy")
            np.save(os.path.join(folder, name), np.asarray(value), allow_pickle=False)
            return {"kind": "npy", "file": name, "scalar": isinstance(value, np.generic)}
        if isinstance(value, (pd.DataFrame, pd.Series)):
            is_series = isinstance(value, pd.Series)
            series_name = value.name if is_series else None
            table = value.to_frame(name="value") if is_series else value
            name = file(".parquet")
            table.to_parquet(os.path.join(folder, name))
            plain_name = series_name if series_name is None or type(series_name) in (str, int, float) else None
            return {"kind": "parquet", "file": name, "series": is_series, "name": plain_name}
        if type(value).__name__ == "DataTree" and type(value).__module__.startswith("xarray"):
            groups = {}
            for node in value.subtree:
                dataset = node.to_dataset(inherit=False)
                variables = {}
                for key, array in {**dataset.coords, **dataset.data_vars}.items():
                    values = np.asarray(array.values)
                    variables[str(key)] = {
                        "dims": [str(dim) for dim in array.dims],
                        "coord": key in dataset.coords,
                        "data": encode(values.astype(str) if values.dtype == object else values, depth + 1),
                    }
                groups[node.path] = variables
            return {"kind": "datatree", "groups": groups}
        try:
            import pymc as pm
        except ImportError:  # pragma: no cover - every chapter kernel has PyMC
            pm = None
        if pm is not None and isinstance(value, pm.Model):
            from hlmkit.exercises import model_summary

            summary = model_summary(value)
            # What each variable is: its distribution (``str(model["y"].owner.op)``), for the checks.
            summary["ops"] = {
                var.name: str(var.owner.op) if var.owner is not None else ""
                for var in [*value.free_RVs, *value.observed_RVs, *value.deterministics]
            }
            summary["potentials"] = [var.name for var in value.potentials]
            if value.deterministics:
                import pytensor

                shapes = pytensor.function([], [var.shape for var in value.deterministics], mode="FAST_COMPILE")()
                summary["shapes"].update(
                    {var.name: [int(k) for k in shape] for var, shape in zip(value.deterministics, shapes, strict=True)}
                )
            made_by = {"kind": "missing"}  # hlmkit's builders mark their models with `parameterization`
            if hasattr(value, "parameterization"):
                made_by = encode(value.parameterization, depth + 1)
            return {
                "kind": "model",
                "summary": encode(summary, depth + 1),
                "coords": encode({str(k): [str(x) for x in v] for k, v in (value.coords or {}).items()}, depth + 1),
                "parameterization": made_by,
            }
        return {"kind": "unsupported", "type": f"{type(value).__module__}.{type(value).__name__}"}

    def encode_object(value: Any, wanted: list[str]) -> dict[str, Any]:
        entry = encode(value)
        if entry["kind"] != "unsupported" or not wanted:
            return entry
        found = {}
        for attribute in wanted:
            try:
                found[attribute] = encode(getattr(value, attribute), 1)
            except Exception:  # an attribute it lacks: the check that reads it fails
                continue
        return {"kind": "object", "type": entry["type"], "attributes": found}

    manifest: dict[str, Any] = {}
    for name in names:
        if name not in namespace:
            manifest[name] = {"kind": "missing"}
            continue
        try:
            manifest[name] = encode_object(namespace[name], (attributes or {}).get(name, []))
        except Exception as error:  # an odd value: the checks say it could not be read
            manifest[name] = {"kind": "unsupported", "type": f"unreadable ({type(error).__name__}: {error})"[:300]}
    with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)


def export_cell(names: list[str], folder: str, attributes: dict[str, list[str]] | None = None) -> str:
    """Return the code of the cell that exports ``names`` into ``folder`` in the student's kernel.

    The function is defined in a scope of its own, so the cell leaves no name behind in the
    student's session.
    """
    import inspect

    source = "from typing import Any\n" + inspect.getsource(export_answers)
    return (
        f"_grader_scope = {{'__name__': '_grader_export'}}\n"
        f"exec({source!r}, _grader_scope)\n"
        f"_grader_scope['export_answers'](globals(), {names!r}, {folder!r}, {attributes or {}!r})\n"
        "del _grader_scope\n"
    )
