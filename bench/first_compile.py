"""How long the first nutpie compile of a process takes, with nutpie's own C wrappers and with hlmkit's.

    .venv/bin/python bench/first_compile.py [--repeats 5]

Each run is a fresh Python process that builds chapter 4's partial-pooling model of the simulated
region and compiles it once (PyTensor's on-disk cache warm, as in a chapter after the first build).
Runs alternate between the two kinds, so that a change in the machine's load hits both alike; the
medians and their ratio are printed. See hlmkit/_nutpie.py for what differs.
"""

import argparse
import os
import statistics
import subprocess
import sys

RUN = """
import sys, time
from hlmkit import partial_pooling_model, simulate_literacy
import nutpie
if sys.argv[1] == "hlmkit":
    from hlmkit._nutpie import use_fast_wrappers
    use_fast_wrappers()
students = simulate_literacy(seed=2024).students
model = partial_pooling_model(students, "literacy", "school", ["ses"])
start = time.perf_counter()
nutpie.compile_pymc_model(model, backend="numba")
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", RUN, "nutpie"], check=True, capture_output=True, env=env)  # warm the cache
    seconds: dict[str, list[float]] = {"nutpie": [], "hlmkit": []}
    for _ in range(args.repeats):
        for kind in seconds:
            out = subprocess.run([sys.executable, "-c", RUN, kind], check=True, capture_output=True, text=True, env=env)
            seconds[kind].append(float(out.stdout.strip().splitlines()[-1]))
    for kind, values in seconds.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{kind:7s} wrappers: median {statistics.median(values):.2f} s  ({runs})")
    print(f"ratio nutpie / hlmkit: {statistics.median(seconds['nutpie']) / statistics.median(seconds['hlmkit']):.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
