"""The data layer: the simulated region (shapes, nesting, truth) and the real datasets."""

import numpy as np
import pandas as pd
import pytest

from hlmkit import available_datasets, load_dataset, simulate_literacy

STUDENT_COLUMNS = ["student", "school", "county", "state", "sector", "locale", "grade", "ses", "literacy", "proficient"]


def test_student_table_has_documented_columns_and_one_row_per_student(region):
    students = region.students
    assert students.columns.tolist() == STUDENT_COLUMNS
    assert students["student"].is_unique
    assert len(students) == region.schools["n_students"].sum()


def test_truth_tables_line_up_with_students(region):
    schools = region.schools
    assert schools["school"].is_unique
    assert set(schools["school"]) == set(region.students["school"])
    counts = region.students["school"].value_counts().reindex(schools["school"]).to_numpy()
    np.testing.assert_array_equal(counts, schools["n_students"].to_numpy())
    assert len(region.counties) == region.students["county"].nunique()
    assert len(region.states) == region.students["state"].nunique()
    assert region.counties["n_schools"].sum() == len(schools)


def test_every_school_in_one_county_and_every_county_in_one_state(large_region):
    students = large_region.students
    assert students.groupby("school")["county"].nunique().eq(1).all()
    assert students.groupby("county")["state"].nunique().eq(1).all()


def test_sizes_range_from_tiny_private_schools_to_hundreds(region):
    schools = region.schools
    private = schools[schools["sector"] == "private"]
    assert len(private) > 0
    assert private["n_students"].between(5, 15).all()
    assert schools["n_students"].max() >= 200
    assert (region.counties["n_schools"] == 1).any(), "some county should hold a single school"


def test_same_seed_same_region_and_other_seed_other_region():
    a, b, c = simulate_literacy(seed=11), simulate_literacy(seed=11), simulate_literacy(seed=12)
    pd.testing.assert_frame_equal(a.students, b.students)
    pd.testing.assert_frame_equal(a.schools, b.schools)
    assert not a.students["literacy"].equals(c.students["literacy"])


def test_proficient_is_literacy_at_or_above_the_threshold(region):
    students = region.students
    expected = (students["literacy"] >= region.params["proficiency_threshold"]).astype(int)
    np.testing.assert_array_equal(students["proficient"], expected)
    assert 0.2 < students["proficient"].mean() < 0.9


def test_school_effects_have_the_configured_spread(large_region):
    # The sample sd of J draws from N(0, tau) has relative standard error about 1/sqrt(2 J).
    effects = large_region.schools["effect_school"].to_numpy()
    tau = large_region.params["tau_school"]
    rel_se = 1 / np.sqrt(2 * len(effects))
    assert abs(effects.std(ddof=1) / tau - 1) < 4 * rel_se


def test_school_means_scatter_around_truth_by_sampling_error_alone(large_region):
    # Each raw school mean minus the school's true mean should be noise with variance s2 / n_j,
    # where s2 is the variance of a pupil within the school (noise, grade, SES). Standardised,
    # the squared errors average 1, with standard error sqrt(2 / J).
    params = large_region.params
    students = large_region.students
    schools = large_region.schools.set_index("school")
    raw = students.groupby("school")["literacy"].mean()
    grade_var = np.var(np.arange(4, 9))
    within_var = params["sigma"] ** 2 + params["beta_grade"] ** 2 * grade_var + schools["true_ses_slope"] ** 2 * 0.8**2
    z = (raw - schools["true_mean"]) / np.sqrt(within_var / schools["n_students"])
    assert abs(np.mean(z**2) - 1) < 4 * np.sqrt(2 / len(z))
    assert abs(z.mean()) < 4 / np.sqrt(len(z))


def test_level_switched_off_gives_zero_effects():
    region = simulate_literacy(seed=3, tau_county=0.0, slope_sd=0.0)
    assert np.all(region.counties["effect_county"] == 0)
    assert np.allclose(region.schools["true_ses_slope"], region.params["beta_ses"])


def test_featured_schools_follow_their_rules(region):
    featured = region.featured_schools()
    schools = region.schools.set_index("school")
    small = schools.loc[featured["small private"]]
    assert small["sector"] == "private"
    private_sizes = schools.loc[schools["sector"] == "private", "n_students"]
    assert abs(small["n_students"] - 15) == (private_sizes - 15).abs().min()
    strong = schools.loc[featured["strong suburban"]]
    assert strong["locale"] == "suburban"
    assert strong["true_intercept"] >= schools["true_intercept"].quantile(0.75)


def test_featured_schools_error_without_private_schools():
    with pytest.raises(ValueError, match="no private school"):
        simulate_literacy(seed=1, private_share=0.0).featured_schools()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"seed": 1.5}, TypeError, "seed.*integer"),
        ({"seed": "7"}, TypeError, "seed.*integer"),
        ({"seed": True}, TypeError, "seed.*integer"),
        ({"seed": -1}, ValueError, "seed.*non-negative"),
        ({"n_states": 0}, ValueError, "n_states.*at least 1"),
        ({"counties_per_state": 2.0}, TypeError, "counties_per_state.*integer"),
        ({"schools_per_county": -3}, ValueError, "schools_per_county"),
        ({"median_school_size": 3}, ValueError, "median_school_size.*at least 8"),
        ({"sigma": 0.0}, ValueError, "sigma.*positive"),
        ({"sigma": -5.0}, ValueError, "sigma.*positive"),
        ({"tau_school": -1.0}, ValueError, "tau_school.*non-negative"),
        ({"tau_county": float("nan")}, ValueError, "tau_county"),
        ({"tau_state": "big"}, TypeError, "tau_state.*number"),
        ({"private_share": 1.5}, ValueError, "private_share"),
        ({"slope_corr": 1.0}, ValueError, "slope_corr"),
        ({"mu": float("inf")}, ValueError, "mu.*finite"),
        ({"mu": True}, TypeError, "mu.*number"),
        ({"median_school_size": 10**6}, ValueError, "median_school_size.*between 8 and 5000"),
        ({"median_school_size": 5001}, ValueError, "median_school_size.*between 8 and 5000"),
        ({"grades": (8, 4)}, ValueError, "grades"),
    ],
)
def test_simulator_rejects_bad_arguments_with_clear_messages(kwargs, error, match):
    kwargs = {"seed": 1, **kwargs}
    with pytest.raises(error, match=match):
        simulate_literacy(**kwargs)


def test_numpy_numbers_are_numbers():
    plain = simulate_literacy(seed=1, n_states=1, mu=500.0, beta_ses=15.0)
    numpy = simulate_literacy(seed=1, n_states=1, mu=np.float32(500), beta_ses=np.int64(15))
    pd.testing.assert_frame_equal(numpy.students, plain.students)


def test_a_region_too_large_for_memory_is_refused_before_anything_is_allocated():
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError, match=r"about \d\.\de\+0[89] pupils .* GB of memory, more than the .* GB allowed"
        ):
            simulate_literacy(n_states=100, counties_per_state=100, schools_per_county=200, median_school_size=400)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10**6  # refused from the arithmetic of the sizes, not after trying
    # The largest region the book simulates (bench: about a million pupils) still fits.
    from hlmkit.data import _check_fits

    _check_fits(10, 30, 150, 150, 0.15)


@pytest.mark.parametrize(
    ("name", "rows", "columns", "group", "n_groups"),
    [
        (
            "hsb",
            7185,
            ["school", "minority", "female", "ses", "math_ach", "mean_ses", "sector", "ses_centred"],
            "school",
            160,
        ),
        ("nlschools", 2287, ["class", "lang", "iq", "class_size", "ses", "combined"], "class", 133),
        ("radon", 919, ["county", "county_name", "log_radon", "floor", "log_uranium"], "county", 85),
    ],
)
def test_datasets_load_with_documented_shape(name, rows, columns, group, n_groups):
    data = load_dataset(name)
    assert len(data) == rows
    assert data.columns.tolist() == columns
    assert data[group].nunique() == n_groups
    assert not data.isna().any().any()


def test_hsb_codes_are_strings_and_sectors_are_named():
    hsb = load_dataset("HSB")
    assert isinstance(hsb["school"].iloc[0], str)
    assert set(hsb["sector"]) == {"Public", "Catholic"}
    assert set(hsb["minority"]) == {0, 1}


def test_each_load_is_a_fresh_copy():
    first = load_dataset("radon")
    first.loc[0, "log_radon"] = 99.0
    assert load_dataset("radon").loc[0, "log_radon"] != 99.0


def test_unknown_dataset_lists_the_available_ones():
    with pytest.raises(ValueError, match="Unknown dataset 'radom'.*'hsb', 'nlschools', 'radon'"):
        load_dataset("radom")
    with pytest.raises(TypeError, match="string"):
        load_dataset(3)
    assert set(available_datasets()) == {"hsb", "nlschools", "radon"}


def test_every_dataset_is_documented_in_data_readme():
    from hlmkit.data import DATA_DIR

    readme = (DATA_DIR / "README.md").read_text()
    for name in available_datasets():
        data = load_dataset(name)
        assert f"{name}.csv" in readme
        for column in data.columns:
            assert f"`{column}`" in readme, f"column {column!r} of {name} is not in hlmkit/datasets/README.md"


def test_a_wheel_of_hlmkit_carries_every_dataset_and_reference(tmp_path):
    # A student who installs hlmkit (a wheel, pip install from the repository, Colab) gets the data
    # with it: every file in hlmkit/datasets/ is in the wheel, next to the code that reads it.
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    from hlmkit.compare import available_references
    from hlmkit.data import DATA_DIR

    root = Path(__file__).resolve().parent.parent
    assert DATA_DIR == root / "hlmkit" / "datasets"
    source = tmp_path / "src"  # build from a copy: setuptools writes build/ and egg-info next to the sources
    shutil.copytree(root / "hlmkit", source / "hlmkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("hlmkit-*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"hlmkit/datasets/{p.name}" for p in DATA_DIR.iterdir() if p.suffix in (".csv", ".md")}
    assert {f"hlmkit/datasets/{name}.csv" for name in available_datasets()} <= shipped
    assert {f"hlmkit/datasets/{name}.csv" for name in available_references()} <= shipped
    assert shipped <= packed, f"not in the wheel: {sorted(shipped - packed)}"
