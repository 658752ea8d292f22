"""Execute the book's chapters into the execution cache, two at a time, before the book is built.

Jupyter Book runs the chapters one after another. Most of a chapter's time is compiling models,
which uses one core, so two chapters side by side finish sooner on a 2-core machine. This script
fills the same cache the build reads (jupyter-cache in ``_build/.jupyter_cache``, execution mode
``cache`` in ``_config.yml``): the build then finds every chapter executed and only renders it.

- A chapter is executed exactly as the build would: the notebook myst-nb reads from the page,
  run in the chapter's folder with the per-cell timeout of ``_config.yml``, errors not allowed.
- A chapter already in the cache (its code unchanged) is skipped.
- A chapter that times itself (it calls ``time.perf_counter``) runs alone, after the others, so
  that the times it prints are not slowed by a neighbour.
- A chapter that fails is left out of the cache, and its error is shown here in one line; the
  build then runs it again and reports the failing cell as usual (a strict build fails).
- Every chapter executed adds a row to ``_build/chapter_times.csv``: its seconds, how many ran side
  by side, the load average when it finished, the date and whether it failed. ``bench/chapters.py``
  measures chapters alone, cold and warm, for the benchmark record.

Usage: python scripts/execute_chapters.py [--jobs 2]   (``make book`` and ``make test`` call it)
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# Run as a script, go without jsonschema's optional IRI checker: importing rfc3987_syntax builds a
# grammar (about 1.4 s of every run, most of a warm `make book`'s steps), and no notebook schema
# checks an IRI. Imported as a module (by the tests, by bench/chapters.py), nothing changes.
if __name__ == "__main__":
    sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` now raises ImportError

import yaml  # noqa: E402  (after the line above)
from jupyter_cache import get_cache  # noqa: E402
from jupyter_cache.base import CacheBundleIn  # noqa: E402
from jupyter_cache.executors.utils import single_nb_execution  # noqa: E402
from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook  # noqa: E402
from myst_parser.config.main import MdParserConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The chapter's kernel goes without it too: a chapter's first glue() imports nbformat, and with it
# that checker (about 1 s of every chapter). The line runs before the first cell, and leaves no name.
KERNEL_ARGUMENTS = ["--IPKernelApp.exec_lines=__import__('sys').modules.setdefault('rfc3987_syntax', None)"]
CACHE = ROOT / "_build" / ".jupyter_cache"
TIMES = ROOT / "_build" / "chapter_times.csv"
TIME_FIELDS = ["chapter", "seconds", "jobs", "load_1min", "finished", "failed"]


def record_time(path: Path, seconds: float, jobs: int, failed: bool, out: Path = TIMES) -> None:
    """Append one chapter's execution time to ``out`` (a CSV, created with its header if new)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists()
    with out.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TIME_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({
            "chapter": path.stem, "seconds": round(seconds, 2), "jobs": jobs,
            "load_1min": round(os.getloadavg()[0], 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "failed": failed,
        })


def read_page(path: Path):
    """The notebook myst-nb builds from a MyST Markdown page (the build hashes the same one)."""
    return read_myst_markdown_notebook(
        path.read_text(encoding="utf-8"), config=MdParserConfig(), add_source_map=True, path=str(path)
    )


def pages() -> list[Path]:
    """Every page of the book that is a notebook, in the order of the table of contents."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found: list[Path] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                path = ROOT / f"{node['file']}.md"
                if path.exists() and is_myst_markdown_notebook(path.read_text(encoding="utf-8")):
                    found.append(path)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def ipc_kernel_manager(folder: str):
    """A kernel manager whose kernel talks over Unix sockets in ``folder``, not over TCP ports.

    Over TCP, two kernels started at the same moment (two chapters side by side) can be given the
    same free port, and one dies before it runs a cell: "Address already in use" failed a `make
    test` on 2026-12-08. A kernel given a manager is not shut down by nbclient: call
    :func:`shut_down`.
    """
    from jupyter_client.manager import AsyncKernelManager

    if os.name == "nt":  # no Unix sockets
        return AsyncKernelManager(kernel_name="python3", connection_file=str(Path(folder) / "kernel.json"))
    return AsyncKernelManager(
        kernel_name="python3", transport="ipc", ip=str(Path(folder) / "kernel"),
        connection_file=str(Path(folder) / "kernel.json"),
    )


def shut_down(km) -> None:
    """Stop the kernel of ``km``, if it started."""
    if km.has_kernel:
        from jupyter_core.utils import run_sync

        run_sync(km.shutdown_kernel)(now=True)


def execute(path: Path, timeout: int):
    """Run one page in a fresh kernel: (path, executed notebook or None, seconds, error line)."""
    notebook = read_page(path)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bs-kernel-") as sockets:
        km = ipc_kernel_manager(sockets)
        try:
            result = single_nb_execution(
                notebook, cwd=str(path.parent), timeout=timeout, allow_errors=False, meta_override=True,
                extra_arguments=KERNEL_ARGUMENTS, km=km,
            )
        except Exception as error:  # the kernel did not start, or died: the build runs the page again
            return path, None, time.perf_counter() - start, f"{type(error).__name__}: {str(error)[:300]}"
        finally:
            shut_down(km)
    if result.err is not None:
        last = (result.exc_string or repr(result.err)).strip().splitlines()[-1:] or [""]
        return path, None, result.time, f"{type(result.err).__name__}: {last[0][:300]}"
    return path, notebook, result.time, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="chapters run side by side (default 2)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, got {args.jobs}")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    timeout = int(config.get("execute", {}).get("timeout", 180))
    cache = get_cache(str(CACHE))
    todo = []
    for path in pages():
        try:
            cache.match_cache_notebook(read_page(path))
        except KeyError:
            todo.append(path)
    if not todo:
        return 0
    alone = [p for p in todo if "perf_counter" in p.read_text(encoding="utf-8")]
    together = [p for p in todo if p not in alone]
    print(f"Executing {len(todo)} chapters ({args.jobs} at a time) into the execution cache", flush=True)
    start = time.perf_counter()
    failed = 0

    def store(path: Path, notebook, seconds: float, error: str | None, jobs: int = args.jobs) -> None:
        nonlocal failed
        name = path.relative_to(ROOT)
        record_time(path, seconds, jobs, error is not None)
        if error is not None:
            failed += 1
            print(f"  {name}: FAILED after {seconds:.0f} s ({error}); the build runs it again", flush=True)
            return
        bundle = CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds})
        cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
        print(f"  {name}: {seconds:.1f} s", flush=True)

    # Longest first (the later chapters fit more models), so the two workers finish together.
    together.sort(key=lambda p: p.name, reverse=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for path, notebook, seconds, error in pool.map(execute, together, [timeout] * len(together)):
            store(path, notebook, seconds, error)
    for path in alone:
        store(*execute(path, timeout), jobs=1)
    print(f"Executed in {time.perf_counter() - start:.0f} s" + (f", {failed} failed" if failed else ""), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HLMKIT_PROGRESSBAR", "0")
    sys.exit(main())
