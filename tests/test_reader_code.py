"""_ext/reader_code.py: the code shown on a page leaves out the build's plumbing, and only that."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from reader_code import shown_code, uses_os_otherwise  # noqa: E402

CELL = """import os
import numpy as np
from IPython.display import Markdown
from myst_nb import glue

RANDOM_SEED = int(os.environ.get("BOOK_SEED", 2024))  # the sampler's seed; `make seeds` tries others
x = np.zeros(3)"""


def test_the_plumbing_lines_go_and_the_seed_shows_as_the_book_builds_it():
    assert shown_code(CELL, keep_os=False).splitlines() == [
        "import numpy as np",
        "",
        "RANDOM_SEED = 2024  # the sampler's seed",
        "x = np.zeros(3)",
    ]


def test_a_page_that_uses_os_otherwise_keeps_its_import():
    assert not uses_os_otherwise([CELL])
    assert uses_os_otherwise([CELL, "path = os.path.join('a', 'b')"])
    assert shown_code(CELL, keep_os=True).splitlines()[0] == "import os"


def test_lines_that_only_resemble_the_plumbing_stay():
    cell = 'glue("x", 1)\nfrom myst_nb import glue as g\nRANDOM_SEED = 7\nprint("from myst_nb import glue")'
    assert shown_code(cell, keep_os=False) == cell


def test_the_book_loads_the_extension():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"].get("reader_code") == "_ext"
