"""_ext/bibstyle.py: author-year labels for the reference lists, made without a plugin lookup per name."""

import sys
from pathlib import Path

import pybtex.plugin
import pytest
from pybtex.database import Person, parse_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import bibstyle  # noqa: E402


def test_labels_of_the_books_references_are_author_year_without_looking_up_plugins(monkeypatch):
    # pybtex finds a backend among the installed packages' entry points on every render_as call:
    # seconds of every build. The labels must not need it.
    def no_lookup(*args, **kwargs):
        raise AssertionError("a plugin lookup per name")

    entries = list(parse_file(str(ROOT / "references.bib")).entries.values())
    monkeypatch.setattr(pybtex.plugin, "entry_points", no_lookup)
    labels = list(bibstyle.AuthorYearLabelStyle().format_labels(entries))
    assert len(labels) == len(entries) > 10
    assert all(label.rsplit(", ", 1)[1][:4].isdigit() for label in labels)
    assert any(" et al., " in label for label in labels) and any(" and " in label for label in labels)


@pytest.mark.parametrize(
    ("latex", "plain"), [('M{\\"a}chler', "Mächler"), ("Gelman", "Gelman"), ("{van Buuren}", "van Buuren")]
)
def test_a_last_name_is_plain_text(latex, plain):
    assert bibstyle._last_name(Person(last=latex)) == plain
