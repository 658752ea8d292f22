"""The public faces of hlmkit (as the API reference page shows it) and of coursework."""

import inspect

import pytest

import coursework
import hlmkit

PUBLIC = [
    (package, name)
    for package in (hlmkit, coursework)
    for name in package.__all__
    if callable(getattr(package, name))
]
# Result containers and the exception: their examples are those of the functions that return them.
RESULT_TYPES = {"GroupIndex", "SimulatedRegion", "CheckFailed", "GradeResult", "EvidenceUpdate", "Chapter", "Exercise"}


def _id(item):
    package, name = item
    return f"{package.__name__}.{name}"


@pytest.mark.parametrize("item", PUBLIC, ids=_id)
def test_public_docstring_has_no_control_characters(item):
    # A backslash in a non-raw docstring ("\tau") turns into a TAB and renders as " au".
    # The raw __doc__: inspect.getdoc would expand the TAB into spaces and hide it.
    package, name = item
    doc = getattr(package, name).__doc__ or ""
    assert doc, f"{name} has no docstring"
    assert not [c for c in doc if ord(c) < 32 and c != "\n"], f"{name}'s docstring holds a control character"


@pytest.mark.parametrize("item", [item for item in PUBLIC if item[1] not in RESULT_TYPES], ids=_id)
def test_public_function_has_an_example(item):
    package, name = item
    doc = inspect.getdoc(getattr(package, name)) or ""
    assert "Examples\n--------" in doc and ">>> " in doc, f"{name} needs an Examples section with a doctest"
