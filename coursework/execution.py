"""Running a submission: its code cells, the chapter's checks put back, run cell by cell in a fresh kernel.

The student's copies of the public checks are dropped; the chapter's public and hidden checks
go right after the last answer or check cell of each exercise. Each cell runs with a timeout in
a kernel that starts in a temporary folder; what comes back is a status per cell, never a crash.
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

from coursework._util import first_line, short
from coursework.chapter import Chapter
from coursework.scoring import GradeResult

_TIMEOUT_ENAME = "CellTimeout"

#: Put before every check the grader runs: the check helpers as hlmkit ships them, read again from
#: their module, whatever the submission's code did to them (e.g. ``hlmkit.check = print``).
CHECK_PREAMBLE = """import importlib as _importlib, sys as _sys
import hlmkit as _hlmkit
_fresh = _importlib.reload(_sys.modules["hlmkit.exercises"])
for _name in ("check", "check_between", "check_model", "CheckFailed"):
    setattr(_hlmkit, _name, getattr(_fresh, _name))
"""


def grading_notebook(
    notebook: Any, chapter: Chapter, result: GradeResult
) -> tuple[Any, dict[int, tuple[str, str | None, str]]]:
    """Return the submission's code cells with the chapter's checks put back after each exercise.

    Returns the notebook to execute and, per cell, ``(role, exercise label, where)``.
    """
    import nbformat

    graded = {exercise.label: exercise for exercise in chapter.graded}
    anchors: dict[str, int] = {}
    for k, cell in enumerate(notebook.cells):
        info = cell.get("metadata", {}).get("coursework") or {}
        if isinstance(info, dict) and info.get("exercise") in graded and info.get("role") in ("answer", "public-check"):
            anchors[info["exercise"]] = k
    for label in graded:
        if label not in anchors:
            result.row(label).update(
                status="missing",
                score=0,
                reason="the exercise's answer and check cells are not in the notebook (deleted?): "
                "copy them back from a fresh student notebook",
            )
    after: dict[int, list[str]] = {}
    for label in graded:  # chapter order
        if label in anchors:
            after.setdefault(anchors[label], []).append(label)
    cells: list[Any] = []
    roles: dict[int, tuple[str, str | None, str]] = {}
    for k, cell in enumerate(notebook.cells):
        info = cell.get("metadata", {}).get("coursework") or {}
        info = info if isinstance(info, dict) else {}
        if info.get("role") != "public-check" and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            where = f"cell {k + 1} ({first_line(source)!r})"
            role = ("answer", info.get("exercise"), where) if info.get("role") == "answer" else ("student", None, where)
            roles[len(cells)] = role
            cells.append(nbformat.v4.new_code_cell(source))
        for label in after.get(k, []):
            exercise = graded[label]
            checks = [(i, "public check") for i in exercise.public_checks]
            checks += [(i, "hidden check") for i in exercise.hidden_checks]
            for index, kind in checks:
                roles[len(cells)] = (kind, label, f"{kind} of {label}")
                cell = nbformat.v4.new_code_cell(CHECK_PREAMBLE + chapter.notebook.cells[index].source)
                if exercise.check_points:  # partial credit: each check earns its own points
                    cell.metadata["points"] = exercise.points(index)
                cells.append(cell)
    grading = nbformat.v4.new_notebook()
    grading.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    grading.cells = cells
    return grading, roles


def execute(grading: Any, timeout: float) -> dict[int, tuple[str, str]]:
    """Run each code cell; return ``{index: (status, detail)}`` with status ok/error/timeout/not run."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    status: dict[int, tuple[str, str]] = {}
    workdir = tempfile.mkdtemp(prefix="hlmkit-grade-")
    client = NotebookClient(
        grading,
        timeout=int(math.ceil(timeout)),
        kernel_name="python3",
        allow_errors=False,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": _TIMEOUT_ENAME,
            "evalue": f"the cell ran longer than {timeout:g} s and was stopped",
            "traceback": [],
        },
        shutdown_kernel="immediate",
        record_timing=False,
        extra_arguments=["--IPKernelApp.log_level=40"],  # no "running over TCP" warnings
        resources={"metadata": {"path": workdir}},
    )
    env = {**os.environ, "HLMKIT_PROGRESSBAR": "0", "MPLBACKEND": "agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    stopped = ""
    try:
        with client.setup_kernel(env=env):
            for k, cell in enumerate(grading.cells):
                if cell.cell_type != "code":
                    continue
                if stopped:
                    status[k] = ("not run", stopped)
                    continue
                try:
                    client.execute_cell(cell, k)
                    status[k] = ("ok", "")
                except CellExecutionError as error:
                    timed_out = getattr(error, "ename", "") == _TIMEOUT_ENAME
                    status[k] = ("timeout" if timed_out else "error", short(f"{error.ename}: {error.evalue}"))
                    if timed_out and not _responsive(client, k):
                        stopped = f"not run: the kernel did not recover after cell {k + 1} timed out"
                except CellTimeoutError:
                    status[k] = ("timeout", f"the cell ran longer than {timeout:g} s")
                    if not _responsive(client, k):
                        stopped = f"not run: the kernel did not recover after cell {k + 1} timed out"
                except DeadKernelError as error:
                    status[k] = ("error", f"the kernel died while running this cell ({short(error)})")
                    stopped = f"not run: the kernel died in cell {k + 1}"
                finally:
                    cell.outputs = []  # only the status matters; keeps memory flat
    except Exception as error:  # kernel failed to start or to shut down: report, never crash
        detail = f"the notebook could not be executed: {type(error).__name__}: {short(error)}"
        for k, cell in enumerate(grading.cells):
            if cell.cell_type == "code" and k not in status:
                status[k] = ("not run", detail)
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return status


def _responsive(client: Any, index: int) -> bool:
    """Tell whether the kernel still answers a trivial cell after a timeout (and nbclient's interrupt)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    probe = nbformat.v4.new_code_cell("None")
    saved = client.timeout
    client.timeout = min(int(saved), 10)
    try:
        client.execute_cell(probe, index)
        return True
    except (CellExecutionError, CellTimeoutError, DeadKernelError):
        return False
    finally:
        client.timeout = saved
