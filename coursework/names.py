"""Which names a code cell binds and which it uses: for stubs and for cells a student version breaks.

Read from the cell's syntax tree (IPython magics and shell lines count as ``pass``), never run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from coursework._util import first_line, tags_of


def _python(source: str) -> ast.Module | None:
    cleaned = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        return ast.parse(cleaned)
    except SyntaxError:
        return None


def assigned(source: str) -> list[str]:
    """Names a cell binds at top level (assignments, loops, imports, definitions), in order."""
    tree = _python(source)
    names: list[str] = []

    def target(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                target(element)
        elif isinstance(node, ast.Starred):
            target(node.value)

    def statements(body: Iterable[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Assign):
                for item in node.targets:
                    target(item)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                target(node.target)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                target(node.target)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for with_item in node.items:
                    if with_item.optional_vars is not None:
                        target(with_item.optional_vars)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.extend((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            for child in ("body", "orelse", "finalbody"):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    statements(getattr(node, child, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                statements(handler.body)
            if isinstance(node, ast.Expr) or isinstance(node, ast.Assign):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.NamedExpr):
                        target(sub.target)

    if tree is not None:
        statements(tree.body)
    return list(dict.fromkeys(names))


def loaded(source: str) -> set[str]:
    """Names a cell reads from before it (not its own loop or local names); every word if it does not parse."""
    tree = _python(source)
    if tree is None:  # unparsable: be generous, every identifier-like word counts
        return set(re.findall(r"[A-Za-z_]\w*", source))
    used: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):  # `import pymc as pm` binds `pm`
            bound.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return used - bound  # names the cell needs from before it (not its own loop or local names)


# Methods that change their object in place (lists, dicts, sets; pandas with ``inplace=True``).
MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear", "update", "setdefault", "add",
     "discard", "popitem", "fill", "resize", "itemset", "put"}
)


def _base_name(node: ast.AST) -> str | None:
    """``students`` for ``students``, ``students["x"]``, ``students.loc[0, "x"]`` or ``fig.axes[0].title``."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def changed_in_place(source: str) -> dict[str, str]:
    """Objects from before a cell that the cell changes without rebinding their name: {name: how}.

    Counted: item and attribute assignments (``df["x"] = ...``, ``obj.attr += 1``), ``del df["x"]``,
    list/dict/set methods that change their object (``rows.append(...)``) and any call with
    ``inplace=True``. Names the cell binds first are its own and do not count.
    """
    tree = _python(source)
    if tree is None:
        return {}
    own = set(assigned(source))
    found: dict[str, str] = {}

    def note(node: ast.AST, how: str) -> None:
        name = _base_name(node)
        if name is not None and name not in own:
            found.setdefault(name, how)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for item in node.targets:
                for sub in ast.walk(item):
                    if isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, ast.Store):
                        note(sub, "assigns to a part of it")
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, (ast.Subscript, ast.Attribute)):
            note(node.target, "assigns to a part of it")
        elif isinstance(node, ast.Delete):
            for item in node.targets:
                if isinstance(item, (ast.Subscript, ast.Attribute)):
                    note(item, "deletes a part of it")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inplace = any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            if inplace:
                note(node.func.value, f"calls .{node.func.attr}(inplace=True) on it")
            elif node.func.attr in MUTATING_METHODS:
                note(node.func.value, f"calls .{node.func.attr}() on it")
    return found


def dependency_problems(notebook: Any, roles: dict[int, tuple[str, str | None]], where: str) -> list[str]:
    """Cells that would fail or differ in the student version, where the solutions are missing.

    A chapter cell may not use a name that only solutions define, and the checks of one exercise
    may not use a name that only another exercise's solution defines, unless the cell is tagged
    ``needs-answer`` (then the chapter says that it needs the student's answer). Nor may a chapter
    cell use an object that a solution changed in place (``students["x"] = ...``): without the
    solution it would see the object unchanged. These rules are what lets the book's build, which
    runs the chapters with their solutions, vouch for the student versions too.
    """
    problems = []
    defined: set[str] = set()  # by chapter cells so far
    from_solutions: dict[str, str | None] = {}  # name -> exercise whose solution defines it
    changed_by: dict[str, tuple[str | None, str]] = {}  # name -> (exercise, how its solution changes it)
    for k, cell in enumerate(notebook.cells):
        role, label = roles.get(k, (None, None))
        if role is None:
            continue
        if role in ("solution", "hidden-solution"):
            for name in assigned(cell.source):
                from_solutions.setdefault(name, label)
            for name, how in changed_in_place(cell.source).items():
                changed_by.setdefault(name, (label, how))
            continue
        if role == "chapter" and "needs-answer" not in tags_of(cell):
            uses = loaded(cell.source)
            for name, (owner, how) in sorted(changed_by.items()):
                if name in uses:
                    problems.append(
                        f"{where}: code cell ({first_line(cell.source)!r}) uses `{name}`, which the solution of "
                        f"{owner} changes in place (it {how}): the student version would see `{name}` unchanged. "
                        f"Work on a copy in the solution (`{name} = {name}.copy()` first), or tag the cell "
                        "`needs-answer`."
                    )
        missing = {
            name: owner
            for name, owner in from_solutions.items()
            if name in loaded(cell.source) and name not in defined and (role == "chapter" or owner != label)
        }
        if missing and "needs-answer" not in tags_of(cell):
            listed = ", ".join(f"`{name}` (from {owner})" for name, owner in sorted(missing.items()))
            problems.append(
                f"{where}: code cell ({first_line(cell.source)!r}) uses {listed}, which only a solution "
                "defines: the student version would fail there. Define it outside the solution, or tag the "
                "cell `needs-answer` to say that it needs the student's answer."
            )
        if role == "chapter":
            defined.update(assigned(cell.source))
            for name in assigned(cell.source):  # rebound by the chapter: what the solution changed is gone
                changed_by.pop(name, None)
    return problems
