"""How long the first nutpie compile of a process takes: nutpie's wrappers, hlmkit's, and hlmkit's cached.

    .venv/bin/python bench/first_compile.py [--repeats 5] [--cold]

Each run is a fresh Python process that builds chapter 4's partial-pooling model of the simulated
region and compiles it once, PyTensor's on-disk cache warm (as in a chapter after its first run):

- ``nutpie``: ``nutpie.compile_pymc_model`` with nutpie 0.16.11's own C wrappers;
- ``hlmkit``: the same with hlmkit's lighter wrappers, compiled (what a model never compiled
  before on this machine costs, less the few milliseconds of saving the wrapper to the cache);
- ``cached``: ``hlmkit._nutpie.compile_model``, which loads the wrapper that an earlier run saved
  (what ``hlmkit.sample`` costs for a model compiled before: a chapter run again, a seed sweep,
  a test, a grading kernel).

With ``--cold``, every run gets an empty PyTensor cache folder (a student's first run, CI on a
fresh machine), and two kinds are timed: ``nutpie`` (its own compile) and ``compile_model``
(hlmkit's wrappers and shape checks, compiled and saved).

Runs alternate between the kinds, so that a change in the machine's load hits all alike; the
medians and their ratios are printed. See hlmkit/_nutpie.py for what differs.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

RUN = """
import sys, time
from hlmkit import partial_pooling_model, simulate_literacy
import nutpie
from hlmkit._nutpie import compile_model, use_fast_wrappers
if sys.argv[1] != "nutpie":
    use_fast_wrappers()
students = simulate_literacy(seed=2024).students
model = partial_pooling_model(students, "literacy", "school", ["ses"])
start = time.perf_counter()
if sys.argv[1] == "compile_model":
    compile_model(model)
elif sys.argv[1] == "cached":
    compiled = compile_model(model)
    assert compiled.compiled_logp_func._cache_hits == 1, "the wrapper was not loaded from the cache"
else:
    nutpie.compile_pymc_model(model, backend="numba")
print(time.perf_counter() - start)
"""
KINDS = ("nutpie", "hlmkit", "cached")
COLD_KINDS = ("nutpie", "compile_model")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="every run with an empty PyTensor cache folder")
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    kinds = COLD_KINDS if args.cold else KINDS
    if not args.cold:
        for kind in ("nutpie", "cached"):  # warm PyTensor's cache, and save hlmkit's wrapper if it is not there
            subprocess.run([sys.executable, "-c", RUN.replace("== 1", ">= 0"), kind], check=True,
                           capture_output=True, env=env)
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(args.repeats):
        for kind in kinds:
            with tempfile.TemporaryDirectory(prefix="first-compile-") as folder:
                run_env = {**env, "PYTENSOR_FLAGS": f"base_compiledir={folder}"} if args.cold else env
                out = subprocess.run([sys.executable, "-c", RUN, kind], check=True, capture_output=True, text=True,
                                     env=run_env)
            seconds[kind].append(float(out.stdout.strip().splitlines()[-1]))
    median = {kind: statistics.median(values) for kind, values in seconds.items()}
    for kind, values in seconds.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{kind:13s} median {median[kind]:.2f} s  ({runs})")
    others = [kind for kind in kinds if kind != "nutpie"]
    print("; ".join(f"ratio nutpie / {kind}: {median['nutpie'] / median[kind]:.2f}" for kind in others))
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
