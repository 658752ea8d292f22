"""A student's install (requirements-student.txt) has what the notebooks import, pinned as the book's."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from coursework import student_notebook
from coursework.handout import GLUE_SHIM

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))

#: Which line of requirements-student.txt brings each module a notebook or hlmkit imports.
PROVIDED_BY = {
    "numpy": "numpy", "pandas": "pandas", "matplotlib": "matplotlib", "cycler": "matplotlib",
    "pymc": "pymc", "pytensor": "pymc", "scipy": "pymc", "numba": "pymc", "nutpie": "nutpie", "arviz": "arviz",
    "arviz_stats": "arviz", "xarray": "xarray", "statsmodels": "statsmodels", "duckdb": "duckdb",
    "pyarrow": "pyarrow", "IPython": "jupyterlab", "matplotlib_inline": "jupyterlab",
}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _imports(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def _notebook_imports() -> set[str]:
    modules = set()
    for path in sorted((ROOT / "hlmkit").glob("*.py")):
        modules |= _imports(path.read_text())
    for path in CHAPTERS:
        for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)^```", path.read_text(), flags=re.S | re.M):
            code = "\n".join(line for line in cell.splitlines() if not line.startswith(":tags:"))
            code = re.sub(r"^---\n.*?\n---\n", "", code, flags=re.S)
            modules |= _imports(code)
    return modules - set(sys.stdlib_module_names) - {"hlmkit", "__future__"}


def test_student_pins_are_the_books_pins():
    student, book = _pins(ROOT / "requirements-student.txt"), _pins(ROOT / "requirements.txt")
    assert student, "requirements-student.txt pins nothing"
    different = {name: (pin, book.get(name)) for name, pin in student.items() if book.get(name) != pin}
    assert not different, f"requirements-student.txt differs from requirements.txt (student, book): {different}"
    assert not {"jupyter-book", "pytest", "ruff", "mypy", "playwright"} & set(student), "the authors' toolchain"


def test_every_module_the_notebooks_import_is_in_the_student_install():
    student = _pins(ROOT / "requirements-student.txt")
    modules = _notebook_imports() - {"myst_nb"}  # hand-outs make it optional (GLUE_SHIM)
    unknown = sorted(modules - set(PROVIDED_BY))
    assert not unknown, f"imported but not mapped to a requirement in PROVIDED_BY: {unknown}"
    missing = sorted({PROVIDED_BY[m] for m in modules} - set(student))
    assert not missing, f"requirements-student.txt lacks {missing}"


@pytest.mark.parametrize("path", [p for p in CHAPTERS if "from myst_nb import glue" in p.read_text()][:3],
                         ids=lambda p: p.stem)
def test_hand_outs_do_not_need_jupyter_book(path, capsys):
    code = "\n".join(c.source for c in student_notebook(path).cells if c.cell_type == "code")
    assert GLUE_SHIM in code
    assert not re.search(r"^from myst_nb import glue$", code, flags=re.M)
    namespace: dict = {}
    exec(GLUE_SHIM.replace("from myst_nb import glue", "raise ImportError"), namespace)
    assert namespace["glue"]("n", 3, display=False) == 3
    assert namespace["glue"]("share", 0.123456, display=False) == 0.123456
    assert capsys.readouterr().out.splitlines() == ["n = 3", "share = 0.1235"]
