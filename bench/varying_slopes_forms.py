"""Varying slopes: two ways to write the same covariance, measured over seeds (not part of make bench).

    python bench/varying_slopes_forms.py LABEL [N]

fits four varying-slopes models of the book (chapter 6's simulated region and Dutch classes, the
capstone's models 3 and 4 on HSB) with seeds 1..N (default 20), each model compiled once, and
writes its rows (form = LABEL) into bench/varying_slopes_forms.csv, replacing earlier rows of that
LABEL; bench/README.md summarises the file. The "old" rows were measured with hlmkit at commit 67fa5fd (covariance
from pm.LKJCholeskyCov), by running this script with PYTHONPATH pointing at a worktree of that
commit; the "new" rows with the current hlmkit (half-normal scales and pm.LKJCorr).
"""

import sys
import time
from pathlib import Path

import numpy as np
import nutpie
import pandas as pd
from pymc.backends.arviz import patch_nutpie_idata

from hlmkit import diagnose, group_mean_center, load_dataset, simulate_literacy, varying_slopes_model

label = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
region = simulate_literacy(seed=2024)
students = region.students.assign(grade_c=lambda d: d["grade"] - region.params["reference_grade"])
students = group_mean_center(students, "ses", "school")
nl = group_mean_center(load_dataset("nlschools"), "iq", "class")
hsb = load_dataset("hsb").assign(
    catholic=lambda d: (d["sector"] == "Catholic").astype(int),
    ses_centred_x_mean_ses=lambda d: d["ses_centred"] * d["mean_ses"],
    ses_centred_x_catholic=lambda d: d["ses_centred"] * d["catholic"],
)
CROSS = ["ses_centred_x_mean_ses", "ses_centred_x_catholic"]
cases = {
    "ch6 simulated": (
        lambda: varying_slopes_model(
            students,
            "literacy",
            "school",
            varying=["ses_within"],
            predictors=["grade_c"],
            intercepts="centered",
            sufficient_statistics=True,
        ),
        ["mu", "mu_slope", "tau", "corr", "sigma", "beta"],
        1000,
    ),
    "ch6 nlschools": (
        lambda: varying_slopes_model(
            nl, "lang", "class", varying=["iq_within"], intercepts="centered", sufficient_statistics=True
        ),
        ["mu", "mu_slope", "tau", "corr", "sigma"],
        1000,
    ),
    "ch14 model 3": (
        lambda: varying_slopes_model(
            hsb, "math_ach", "school", ["ses_centred"], intercepts="centered", sufficient_statistics=True
        ),
        ["mu", "mu_slope", "tau", "corr", "sigma"],
        1000,
    ),
    "ch14 model 4": (
        lambda: varying_slopes_model(
            hsb,
            "math_ach",
            "school",
            ["ses_centred"],
            CROSS,
            group_predictors=["mean_ses", "catholic"],
            intercepts="noncentered",
            sufficient_statistics=True,
        ),
        ["mu", "gamma", "mu_slope", "beta", "tau", "corr", "sigma"],
        1000,
    ),
}
rows = []
for name, (build, reported, draws) in cases.items():
    model = build()
    t = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    tc = time.perf_counter() - t
    for seed in range(1, N + 1):
        t = time.perf_counter()
        idata = nutpie.sample(
            compiled, draws=draws, tune=1000, chains=4, cores=2, seed=seed, save_warmup=False, progress_bar=False
        )
        ts = time.perf_counter() - t
        patch_nutpie_idata(idata, model, sampling_time=ts)
        with np.errstate(all="ignore"):
            d = diagnose(idata, reported)
        rows.append(
            dict(
                form=label,
                case=name,
                seed=seed,
                ok=bool(d.ok.iloc[0]),
                div=int(d.divergences.iloc[0]),
                rhat=float(d.max_r_hat.iloc[0]),
                ess=int(d.min_ess_bulk.iloc[0]),
                seconds=ts,
                compile=tc,
            )
        )
    sub = pd.DataFrame([r for r in rows if r["case"] == name])
    print(
        f"{label:>4} {name:<14} pass {sub.ok.sum():>2}/{N}  min ESS median {sub.ess.median():5.0f} "
        f"worst {sub.ess.min():5d}  max rhat {sub.rhat.max():.3f}  divergent fits {(sub['div'] > 0).sum()}  "
        f"sample {sub.seconds.median():.2f}s compile {tc:.1f}s",
        flush=True,
    )
out = Path(__file__).with_name("varying_slopes_forms.csv")
kept = pd.read_csv(out) if out.exists() else pd.DataFrame()
if len(kept):
    kept = kept[kept["form"] != label]
pd.concat([kept, pd.DataFrame(rows)], ignore_index=True).to_csv(out, index=False)
