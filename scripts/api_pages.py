"""Write the API reference: one page per part of hlmkit, one section per module.

    python scripts/api_pages.py          # write backmatter/api.md and backmatter/api/*.md
    python scripts/api_pages.py --check  # fail when the committed pages differ from what it would write

The pages follow the map in ``hlmkit/__init__.py``: its docstring names each module and says what
it holds, its ``__all__`` the public names. Every public name is documented on exactly one page,
under the module that defines it (``tests/test_api_pages.py`` checks both).
"""

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hlmkit"
OUT = ROOT / "backmatter"

#: The parts of the reference, in the order a reader meets them: (file stem, title, modules).
PARTS = [
    ("data", "Data and groups", ["data", "coding"]),
    ("models", "Model builders", ["models", "growth", "binary"]),
    ("fitting", "Fitting and summarising", ["inference", "summaries"]),
    ("pooling", "Pooling maths, predictors and variance", ["pooling", "evaluation", "prep", "variance"]),
    ("checking", "Checking, comparing and predicting", ["checking", "likelihood", "loo", "prediction", "compare"]),
    ("scaling", "Scaling up", ["sufficient", "scaling", "marginal"]),
    ("plots", "Figures", ["plots_pooling", "plots_levels", "plots_checks", "plots_models", "style"]),
    ("exercises", "Exercises", ["exercises"]),
]

INDEX_INTRO = """\
(api)=
# API reference: `hlmkit`

Every chapter imports its helpers from `hlmkit`, the book's small Python package. These pages are
generated from the docstrings (`python scripts/api_pages.py`); each example on them is executed as
a doctest by `make test`. Import public names from the package itself, e.g.
`from hlmkit import simulate_literacy`; anything whose name starts with an underscore is private
and may change. The instructor's tools (student notebooks, grading) are not part of `hlmkit`: they
are the repository's `coursework` package, described on the {ref}`instructor` page.

The package has one module per idea. The parts of this reference, and what each module holds:

"""


def module_map() -> dict[str, str]:
    """Each module's one-line description, from the package docstring."""
    doc = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text()))
    found = re.findall(r"^- :mod:`hlmkit\.(\w+)` -- (.+?);?\.?$", doc or "", flags=re.M)
    return {name: text.rstrip(";.") for name, text in found}


def public_names() -> list[str]:
    """``hlmkit.__all__``, read from the source (no import, so no PyMC needed)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return [ast.literal_eval(element) for element in node.value.elts]
    raise SystemExit("hlmkit/__init__.py has no __all__")


def definitions(module: str) -> dict[str, str]:
    """Top-level names defined in a module, with the directive that documents each."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    kinds: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            kinds[node.name] = "autofunction"
        elif isinstance(node, ast.ClassDef):
            kinds[node.name] = "autoclass"
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    kinds[target.id] = "autodata"
    return kinds


def pages() -> dict[Path, str]:
    """The text of every page, by path."""
    described = module_map()
    public = public_names()
    listed = [m for _, _, modules in PARTS for m in modules]
    if sorted(listed) != sorted(described):
        raise SystemExit(
            f"PARTS lists modules {sorted(set(listed) ^ set(described))} that the map in hlmkit/__init__.py "
            "does not, or the other way round: keep the two in step."
        )
    documented: dict[str, str] = {}
    out: dict[Path, str] = {}
    index = [INDEX_INTRO]
    for stem, title, modules in PARTS:
        index.append(f"- {{ref}}`api-{stem}`: " + "; ".join(f"`{m}`, {described[m]}" for m in modules) + ".\n")
        body = [f"(api-{stem})=\n# {title}\n"]
        for module in modules:
            kinds = definitions(module)
            names = [name for name in public if name in kinds]
            for name in names:
                documented[name] = module
            body.append(f"\n## `hlmkit.{module}`\n\n{described[module][0].upper()}{described[module][1:]}.\n")
            body.append("\n```{eval-rst}\n" + f".. py:module:: hlmkit.{module}\n")
            for name in names:
                target = f"hlmkit.{module}.{name}" if kinds[name] == "autodata" else f"hlmkit.{name}"
                options = "   :members:\n" if kinds[name] == "autoclass" else ""
                body.append(f"\n.. {kinds[name]}:: {target}\n{options}")
            body.append("```\n")
        out[OUT / "api" / f"{stem}.md"] = "".join(body)
    missing = [name for name in public if name not in documented]
    if missing:
        raise SystemExit(f"Public names {missing} are defined in no module of PARTS: add their module.")
    out[OUT / "api.md"] = "".join(index)
    return out


def main() -> int:
    """Write the pages, or with --check report the ones that differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    stale = []
    for path, text in pages().items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"API pages out of date: {stale}. Run: python scripts/api_pages.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
