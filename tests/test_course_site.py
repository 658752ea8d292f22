"""The course site (make course-site): the book's pages without their solutions.

A two-exercise page is built with Sphinx, sphinx-exercise and ``_ext/course_site.py``, once as the
website and once as the course site (``BOOK_COURSE_SITE=1``); no chapter runs.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PAGE = """# Demo

```{exercise} Compute
:label: ex-a

EXERCISE-ONE-TEXT
```

```{solution} ex-a
:class: dropdown

PLAIN-SOLUTION-TEXT
```

```{exercise} Model
:label: ex-b

EXERCISE-TWO-TEXT
```

```{solution-start} ex-b
:class: dropdown
```

GATED-SOLUTION-TEXT

```python
gated_solution_code = 1
```

```{solution-end}
```

TEXT-AFTER-THE-SOLUTIONS
"""


def _build(tmp_path: Path, course: bool) -> Path:
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    (source / "index.md").write_text(PAGE)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        'extensions = ["myst_parser", "sphinx_exercise", "course_site"]\n'
    )
    out = tmp_path / ("course" if course else "site")
    env = {**os.environ, "BOOK_COURSE_SITE": "1" if course else "0"}
    done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(source), str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # -W: a warning (a broken gated structure) fails
    return out


@pytest.mark.parametrize("course", [False, True], ids=["website", "course site"])
def test_the_course_site_has_the_exercises_without_their_solutions(tmp_path, course):
    out = _build(tmp_path, course)
    html = (out / "index.html").read_text(encoding="utf-8")
    for kept in ("EXERCISE-ONE-TEXT", "EXERCISE-TWO-TEXT", "TEXT-AFTER-THE-SOLUTIONS"):
        assert kept in html
    for solution in ("PLAIN-SOLUTION-TEXT", "GATED-SOLUTION-TEXT", "gated_solution_code"):
        assert (solution in html) is not course, f"{solution} {'on' if course else 'missing from'} the page"
    assert (out / "_sources").exists() is not course, "the course site must not ship the sources"


def test_the_book_loads_the_extension_and_make_builds_the_course_site():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"].get("course_site") == "_ext"
    makefile = (ROOT / "Makefile").read_text()
    assert "BOOK_COURSE_SITE=1 $(JB) build . --builder html" in makefile
