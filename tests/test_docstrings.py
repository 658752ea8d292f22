"""The public face of hlmkit as the API reference page shows it."""

import inspect

import pytest

import hlmkit

PUBLIC = [name for name in hlmkit.__all__ if callable(getattr(hlmkit, name))]
# Result containers and the exception: their examples are those of the functions that return them.
RESULT_TYPES = {"GroupIndex", "SimulatedRegion", "CheckFailed", "GradeResult", "EvidenceUpdate"}


@pytest.mark.parametrize("name", PUBLIC)
def test_public_docstring_has_no_control_characters(name):
    # A backslash in a non-raw docstring ("\tau") turns into a TAB and renders as " au".
    # The raw __doc__: inspect.getdoc would expand the TAB into spaces and hide it.
    doc = getattr(hlmkit, name).__doc__ or ""
    assert doc, f"{name} has no docstring"
    assert not [c for c in doc if ord(c) < 32 and c != "\n"], f"{name}'s docstring holds a control character"


@pytest.mark.parametrize("name", [n for n in PUBLIC if n not in RESULT_TYPES])
def test_public_function_has_an_example(name):
    doc = inspect.getdoc(getattr(hlmkit, name)) or ""
    assert "Examples\n--------" in doc and ">>> " in doc, f"{name} needs an Examples section with a doctest"
