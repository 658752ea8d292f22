"""The API reference documents every public name of hlmkit once, and is up to date."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import hlmkit

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("api_pages", ROOT / "scripts" / "api_pages.py")
api_pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(api_pages)


def test_committed_pages_are_what_the_generator_writes():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "api_pages.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_public_name_is_documented_once_under_its_own_module():
    documented = {}
    for path, text in api_pages.pages().items():
        for kind, target in re.findall(r"^\.\. (auto\w+):: (\S+)$", text, flags=re.M):
            name = target.rsplit(".", 1)[1]
            assert name not in documented, f"{name} documented on {documented[name]} and {path.name}"
            documented[name] = path.name
            obj = getattr(hlmkit, name)
            if kind in ("autofunction", "autoclass"):
                section = text[: text.index(f":: {target}\n")].rsplit(".. py:module:: ", 1)[1].split()[0]
                assert obj.__module__ == section, f"{name} is defined in {obj.__module__}, shown under {section}"
    assert sorted(documented) == sorted(hlmkit.__all__)


def test_every_module_of_the_package_is_on_the_map():
    modules = {p.stem for p in (ROOT / "hlmkit").glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(api_pages.module_map())
    in_toc = (ROOT / "_toc.yml").read_text()
    for stem, _, _ in api_pages.PARTS:
        assert f"backmatter/api/{stem}\n" in in_toc, f"backmatter/api/{stem} is not in _toc.yml"
