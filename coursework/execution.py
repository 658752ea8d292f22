"""Running a submission: its code cells in a fresh kernel, and the chapter's checks outside it.

The student's copies of the public checks are dropped; the chapter's public and hidden checks
belong right after the last answer or check cell of each exercise. There, the student's kernel
only writes the values the checks read to files (:mod:`coursework.exporter`); the checks run on
those values in the grader's own process (:mod:`coursework.trusted`), which the student's code
cannot reach. Each cell runs with a timeout in a kernel that starts in a temporary folder; what
comes back is a status per cell, never a crash.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from coursework import sandbox
from coursework._util import SKIP_IRI_CHECKER_IN_KERNEL, first_line, remove_tree, short
from coursework.chapter import Chapter
from coursework.exporter import export_cell
from coursework.names import assigned, loaded
from coursework.scoring import GradeResult

_TIMEOUT_ENAME = "CellTimeout"

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
                cell = nbformat.v4.new_code_cell(chapter.notebook.cells[index].source)
                if exercise.check_points:  # partial credit: each check earns its own points
                    cell.metadata["points"] = exercise.points(index)
                cells.append(cell)
    grading = nbformat.v4.new_notebook()
    grading.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    grading.cells = cells
    return grading, roles


def answer_names(chapter: Chapter, label: str) -> list[str]:
    """Names exercise ``label``'s solution binds and its checks read: the values sent to the checks."""
    exercise = chapter.exercises[label]
    bound: list[str] = []
    for index in exercise.solution_cells + exercise.hidden_solution_cells:
        bound += assigned(chapter.notebook.cells[index].source)
    read: set[str] = set()
    for index in exercise.public_checks + exercise.hidden_checks:
        read |= loaded(chapter.notebook.cells[index].source)
    return [name for name in dict.fromkeys(bound) if name in read]


def answer_attributes(chapter: Chapter, label: str) -> dict[str, list[str]]:
    """Attributes exercise ``label``'s checks read of each answer name (``radon_reml.converged``)."""
    import ast

    names = set(answer_names(chapter, label))
    found: dict[str, list[str]] = {}
    exercise = chapter.exercises[label]
    for index in exercise.public_checks + exercise.hidden_checks:
        try:
            tree = ast.parse(chapter.notebook.cells[index].source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names:
                found.setdefault(node.value.id, [])
                if node.attr not in found[node.value.id]:
                    found[node.value.id].append(node.attr)
    return found


def export_plan(
    grading: Any, roles: dict[int, tuple[str, str | None, str]], chapter: Chapter, workdir: str
) -> tuple[Any, dict[str, tuple[int, list[int], list[str], str]]]:
    """Return the notebook the student's kernel runs, and per exercise where its answers go.

    The first check cell of each exercise becomes the cell that exports its answers; its other
    check cells are left for the grader's process. Returns ``(notebook, {label: (export cell,
    check cells, names, folder)})``.
    """
    import nbformat

    run = nbformat.from_dict(nbformat.v4.new_notebook())
    run.metadata = grading.metadata
    run.cells = [nbformat.v4.new_code_cell(cell.source) for cell in grading.cells]
    plan: dict[str, tuple[int, list[int], list[str], str]] = {}
    for k, (role, label, _where) in sorted(roles.items()):
        if role not in ("public check", "hidden check") or label is None:
            continue
        if label not in plan:
            folder = str(Path(workdir) / ".answers" / str(chapter.exercises[label].number))
            names = answer_names(chapter, label)
            run.cells[k].source = export_cell(names, folder, answer_attributes(chapter, label))
            plan[label] = (k, [], names, folder)
        plan[label][1].append(k)
    return run, plan


def check_answers(
    chapter: Chapter,
    grading: Any,
    plan: dict[str, tuple[int, list[int], list[str], str]],
    status: dict[int, tuple[str, str]],
    timeout: float,
    skip: set[str],
) -> None:
    """Run each exercise's checks in the grader's process on the answers its kernel exported.

    Fills in ``status`` for every check cell. An exercise whose export did not run gets its
    export's status on every check; the exercises in ``skip`` (unanswered) get no checks run.
    """
    from coursework.trusted import checker_for, copy_answers

    answers = Path(tempfile.mkdtemp(prefix="answers-", dir=sandbox.grading_folder()))
    try:
        for label, (export, cells, names, folder) in plan.items():
            state = status.get(export, ("not run", "not run"))
            if state[0] != "ok" or label in skip:
                for k in cells:
                    status[k] = state if state[0] != "ok" else ("error", "not checked: the answer is still a stub")
                continue
            copy = answers / label
            copy_answers(folder, copy)
            checker = checker_for(chapter)
            status.update(checker.check(label, copy, names, [(k, grading.cells[k].source) for k in cells], timeout))
    finally:
        shutil.rmtree(answers, ignore_errors=True)


#: The grader's environment variables a student's kernel gets (prefixes end in ``_``): nothing else,
#: so no token or password in the grader's environment reaches a submission.
KERNEL_ENVIRONMENT = (
    "PATH", "HOME", "LANG", "LANGUAGE", "LC_", "TERM", "TZ", "VIRTUAL_ENV", "PYTENSOR_FLAGS", "NUMBA_",
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "JUPYTER_", "JPY_", "SYSTEMROOT", "TMPDIR",
)


def kernel_environment() -> dict[str, str]:
    """Return the environment of a student's kernel: the few variables of :data:`KERNEL_ENVIRONMENT`."""
    keep = {key: value for key, value in os.environ.items()
            if key in KERNEL_ENVIRONMENT or any(p.endswith("_") and key.startswith(p) for p in KERNEL_ENVIRONMENT)}
    return {**keep, "HLMKIT_PROGRESSBAR": "0", "MPLBACKEND": "agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def hidden_folders(chapter: Chapter | None) -> list[str]:
    """Folders a sandboxed kernel sees empty: the chapter's (its hidden checks), the coursework tools, tests, git."""
    root = Path(__file__).resolve().parent.parent
    folders = [root / name for name in ("chapters", "releases", "coursework", "tests", ".git", "_build")]
    folders.append(sandbox.grading_folder())  # other students' working folders, the grader's answers and checks
    if chapter is not None and chapter.path is not None:
        folders.append(Path(chapter.path).resolve().parent)
    return [str(folder) for folder in dict.fromkeys(folders)]


def _kernel_manager(workdir: str, hide: list[str]) -> Any:
    """Return a kernel manager that starts the kernel in the sandbox, talking over Unix sockets in ``workdir``."""
    from jupyter_client.manager import AsyncKernelManager

    class SandboxedKernelManager(AsyncKernelManager):  # nbclient polls channels asynchronously
        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            return sandbox.prefix(workdir, hide) + super().format_kernel_cmd(extra_arguments)

    return SandboxedKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(Path(workdir) / ".kernel"),
        connection_file=str(Path(workdir) / ".kernel.json"),  # where the sandboxed kernel can read it
    )


def execute(
    grading: Any,
    timeout: float,
    workdir: str | None = None,
    skip: frozenset[int] = frozenset(),
    sandboxed: bool = False,
    chapter: Chapter | None = None,
) -> dict[int, tuple[str, str]]:
    """Run each code cell but those in ``skip``; return ``{index: (status, detail)}``.

    Status is ok, error, timeout or not run. The kernel starts in ``workdir`` (default: a new
    temporary folder, removed afterwards), with the environment of :func:`kernel_environment`;
    with ``sandboxed``, inside :mod:`coursework.sandbox`, seeing ``chapter``'s folder empty.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    status: dict[int, tuple[str, str]] = {}
    own = workdir is None
    workdir = tempfile.mkdtemp(prefix="grade-", dir=sandbox.grading_folder()) if workdir is None else workdir
    km = _kernel_manager(workdir, hidden_folders(chapter)) if sandboxed else None
    extra = {"km": km} if km is not None else {}
    client = NotebookClient(
        grading,
        **extra,
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
        # No "running over TCP" warnings; no grammar built when the chapter's glue imports nbformat.
        extra_arguments=["--IPKernelApp.log_level=40", SKIP_IRI_CHECKER_IN_KERNEL],
        resources={"metadata": {"path": workdir}},
    )
    env = kernel_environment()
    stopped = ""
    try:
        with client.setup_kernel(env=env):
            for k, cell in enumerate(grading.cells):
                if cell.cell_type != "code" or k in skip:
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
            if cell.cell_type == "code" and k not in status and k not in skip:
                status[k] = ("not run", detail)
    finally:
        if km is not None and km.has_kernel:  # nbclient shuts down only the kernels it started itself
            from jupyter_core.utils import run_sync

            run_sync(km.shutdown_kernel)(now=True)
        if own:
            remove_tree(workdir)
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
