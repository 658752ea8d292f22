"""The book's data: a simulated region with known truth, and real datasets shipped inside the package."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hlmkit._validate import check_count, check_number, check_positive, check_seed

#: Where the real datasets live: ``hlmkit/datasets/``, inside the package, so that an installed
#: hlmkit (``pip install`` from the repository, a wheel, Colab) carries them.
DATA_DIR = Path(__file__).resolve().parent / "datasets"

_DATASETS: dict[str, dict] = {
    "hsb": {
        "file": "hsb.csv",
        "dtype": {"school": "str", "sector": "str"},
        "description": "High School and Beyond: maths achievement of 7,185 students in 160 schools",
    },
    "nlschools": {
        "file": "nlschools.csv",
        "dtype": {"class": "str"},
        "description": "Dutch 8th-grade language test: 2,287 pupils in 133 classes",
    },
    "radon": {
        "file": "radon.csv",
        "dtype": {"county_name": "str"},
        "description": "Minnesota radon: 919 houses in 85 counties",
    },
}


def available_datasets() -> dict[str, str]:
    """Name and one-line description of every real dataset ``load_dataset`` knows.

    Returns
    -------
    dict of str to str
        ``{name: description}``.

    Examples
    --------
    >>> from hlmkit import available_datasets
    >>> sorted(available_datasets())
    ['hsb', 'nlschools', 'radon']
    """
    return {name: spec["description"] for name, spec in _DATASETS.items()}


def load_dataset(name: str) -> pd.DataFrame:
    """Load one of the real multilevel datasets shipped with the book.

    The files, their provenance, licence and a column dictionary are described in
    ``hlmkit/datasets/README.md``. Nothing is downloaded.

    Parameters
    ----------
    name : str
        ``"hsb"`` (High School and Beyond), ``"nlschools"`` (Dutch language test) or
        ``"radon"`` (Minnesota radon). Case-insensitive.

    Returns
    -------
    pandas.DataFrame
        A fresh copy, one row per student (or house), tidy snake_case columns.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a known dataset; the message lists the known ones.
    FileNotFoundError
        If the file is missing from ``hlmkit/datasets/`` (a broken checkout or install).

    Examples
    --------
    >>> from hlmkit import load_dataset
    >>> hsb = load_dataset("hsb")
    >>> hsb.shape
    (7185, 8)
    >>> hsb["school"].nunique()
    160
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string such as 'hsb', got {name!r} ({type(name).__name__}).")
    key = name.strip().lower()
    if key not in _DATASETS:
        known = ", ".join(f"'{k}'" for k in _DATASETS)
        raise ValueError(f"Unknown dataset {name!r}. Available datasets: {known}.")
    spec = _DATASETS[key]
    path = DATA_DIR / spec["file"]
    if not path.exists():
        raise FileNotFoundError(
            f"The file for dataset {key!r} is missing: {path}. It ships inside hlmkit; restore it with "
            "`git checkout -- hlmkit/datasets/` in the repository, or reinstall hlmkit."
        )
    return pd.read_csv(path, dtype=spec["dtype"])


@dataclass(frozen=True)
class SimulatedRegion:
    """A simulated region of students in schools in counties in states, with its truth.

    Attributes
    ----------
    students : pandas.DataFrame
        One row per student: ``student``, ``school``, ``county``, ``state``, ``sector``,
        ``locale``, ``grade``, ``ses``, ``literacy`` and ``proficient`` (0/1).
    schools : pandas.DataFrame
        One row per school (in label order): its county, state, sector, locale,
        ``n_students``, true ``mean_ses``, the true effects at each level
        (``effect_state``, ``effect_county``, ``effect_school``), ``true_intercept`` (the
        expected literacy of a student at the reference grade with SES 0 in that school),
        ``true_ses_slope``, and ``true_mean`` (the expected literacy of a pupil drawn at
        random from the school: what a raw school mean estimates).
    counties : pandas.DataFrame
        One row per county: ``county``, ``state``, ``n_schools``, ``effect_county``.
    states : pandas.DataFrame
        One row per state: ``state``, ``effect_state``.
    params : dict
        The true parameters the region was drawn from (``mu``, ``sigma``, ``tau_school``,
        ``tau_county``, ``tau_state``, slopes, ...), including ``reference_grade``.
    """

    students: pd.DataFrame
    schools: pd.DataFrame
    counties: pd.DataFrame
    states: pd.DataFrame
    params: dict[str, float] = field(default_factory=dict)

    def featured_schools(self) -> dict[str, str]:
        """Name the running story's two schools, chosen by rule so every chapter meets the same ones.

        Returns
        -------
        dict of str to str
            ``"small private"``: the private school whose size is closest to 15 pupils;
            ``"strong suburban"``: the largest suburban school among those whose true
            intercept is in the top quarter of the region.

        Raises
        ------
        ValueError
            If the region has no private school or no strong suburban school.

        Examples
        --------
        >>> from hlmkit import simulate_literacy
        >>> sorted(simulate_literacy(seed=2024).featured_schools())
        ['small private', 'strong suburban']
        """
        schools = self.schools
        private = schools[schools["sector"] == "private"]
        strong = schools["true_intercept"] >= schools["true_intercept"].quantile(0.75)
        suburban = schools[(schools["locale"] == "suburban") & strong]
        if private.empty or suburban.empty:
            raise ValueError(
                "This region has no private school or no strong suburban school; "
                "simulate it with private_share > 0 and more schools."
            )
        small = private.loc[(private["n_students"] - 15).abs().sort_values(kind="stable").index[0], "school"]
        big = suburban.sort_values(["n_students", "school"], ascending=[False, True]).iloc[0]["school"]
        return {"small private": str(small), "strong suburban": str(big)}


#: Smallest and largest public school: sizes are drawn around the median and clipped to this range.
SCHOOL_SIZES = (8, 500)
#: Largest median_school_size: at 5,000 over 99% of public schools already get the 500 maximum.
_MAX_MEDIAN = 5000

#: Bytes a simulated pupil takes at the peak of simulate_literacy (measured: about 280 for the
#: arrays and the frame, with text labels); rounded up, so the estimate errs on the safe side.
_BYTES_PER_PUPIL = 500


def _memory_limit() -> int:
    """Half of this machine's memory (8 GB if it cannot be read): what one simulation may take."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 10**9


def _check_fits(n_states: int, counties_per_state: int, schools_per_county: int, median: int, private: float) -> None:
    """Refuse a region whose expected size cannot fit in memory, before anything is allocated."""
    public_size = min(median * np.exp(0.9**2 / 2), SCHOOL_SIZES[1])  # mean of the clipped log-normal, about
    schools = float(n_states) * counties_per_state * schools_per_county
    pupils = schools * ((1 - private) * public_size + private * 10)
    needed, limit = pupils * _BYTES_PER_PUPIL, _memory_limit()
    if needed > limit:
        raise ValueError(
            f"simulate_literacy would make about {pupils:.2g} pupils in {schools:.2g} schools (n_states={n_states} x "
            f"counties_per_state={counties_per_state} x schools_per_county={schools_per_county} x about "
            f"{public_size:.0f} pupils each, from median_school_size={median}), about {needed / 1e9:.3g} GB of memory, "
            f"more than the {limit / 1e9:.3g} GB allowed (half of this machine's memory). Ask for a smaller region: "
            "fewer states, counties or schools, or a smaller median_school_size."
        )


def _labels(prefix: str, n: int) -> list[str]:
    width = len(str(n))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def simulate_literacy(
    seed: int = 2024,
    *,
    n_states: int = 4,
    counties_per_state: int = 6,
    schools_per_county: int = 5,
    median_school_size: int = 45,
    private_share: float = 0.15,
    mu: float = 500.0,
    beta_grade: float = 12.0,
    beta_ses: float = 15.0,
    beta_mean_ses: float = 6.0,
    private_effect: float = 0.0,
    suburban_effect: float = 8.0,
    rural_effect: float = -4.0,
    tau_state: float = 5.0,
    tau_county: float = 4.0,
    tau_school: float = 8.0,
    slope_sd: float = 4.0,
    slope_corr: float = -0.3,
    sigma: float = 40.0,
    proficiency_threshold: float = 500.0,
    grades: tuple[int, int] = (4, 8),
) -> SimulatedRegion:
    r"""Simulate the book's running example: literacy of students in a region, with known truth.

    The region has ``n_states`` states, each with ``counties_per_state`` counties, each
    with between 1 and ``2 * schools_per_county - 1`` schools (so some counties hold a
    single school). Most schools are public, with sizes from a log-normal distribution
    around ``median_school_size`` (8 to 500 pupils); a share ``private_share`` are small
    private schools of 5 to 15 pupils. Each school is urban, suburban or rural.

    A student's literacy is

    .. math::

        y_{i} = \alpha_{j[i]} + \beta_{\text{grade}} (\text{grade}_i - g_0)
                + \beta_{j[i]} \text{SES}_i + \varepsilon_i,
        \quad \varepsilon_i \sim N(0, \sigma^2),

    with the school intercept :math:`\alpha_j = \mu + u_{\text{state}} + u_{\text{county}}
    + \text{sector, locale and mean-SES effects} + u_{\text{school}}`, each :math:`u`
    drawn from a normal distribution with its level's standard deviation, and a school SES
    slope :math:`\beta_j` that varies around ``beta_ses`` with sd ``slope_sd`` and
    correlation ``slope_corr`` with :math:`u_{\text{school}}`. A student is
    ``proficient`` when literacy reaches ``proficiency_threshold``.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same region.
    n_states, counties_per_state, schools_per_county : int
        Sizes of the hierarchy (all at least 1).
    median_school_size : int
        Median of the log-normal that public school sizes are drawn from, 8 to 5,000. Sizes are
        clipped to 8 to 500 pupils, so a median above 500 (the book's national region uses 1,000)
        piles schools up at 500: the realised median is ``min(median_school_size, 500)``.
    private_share : float
        Expected share of schools that are small private schools (0 to 1).
    mu : float
        Regional mean literacy at the reference grade for SES 0 in an urban public school.
    beta_grade, beta_ses, beta_mean_ses : float
        Literacy points per grade, per unit of student SES, and per unit of school mean SES
        (the contextual effect).
    private_effect, suburban_effect, rural_effect : float
        School-level effects of sector and locale (urban public is the reference). By
        default private schools differ from public ones only in size.
    tau_state, tau_county, tau_school : float
        Standard deviations of the state, county and school effects (0 switches a level off).
        The defaults give an intra-class correlation of about 0.1 after grade and SES, typical
        of literacy surveys once pupils' background is accounted for.
    slope_sd : float
        Standard deviation of the school SES slopes (0 gives one common slope).
    slope_corr : float
        Correlation between school effects and school SES slopes, in (-1, 1).
    sigma : float
        Standard deviation of students within a school (positive).
    proficiency_threshold : float
        Literacy score at which a student counts as proficient.
    grades : tuple of int
        Lowest and highest grade; the reference grade is their midpoint (rounded down).

    Returns
    -------
    SimulatedRegion
        Students, schools, counties, states and the true parameters.

    Raises
    ------
    TypeError
        If ``seed`` or a size is not an integer, or a scale is not a number.
    ValueError
        If a size is below 1, ``median_school_size`` is outside 8 to 5,000, the expected region
        would need more than half of the machine's memory (checked before anything is
        allocated; the message gives the estimate), a number is not finite, a scale is
        negative (``sigma`` must be positive), a share or correlation is out of range, or
        ``grades`` is not an increasing pair.

    Examples
    --------
    >>> from hlmkit import simulate_literacy
    >>> region = simulate_literacy(seed=1)
    >>> region.students.columns.tolist()[:5]
    ['student', 'school', 'county', 'state', 'sector']
    >>> region.schools["county"].is_unique
    False
    >>> bool(region.students.groupby("school")["county"].nunique().eq(1).all())
    True
    """
    seed = check_seed(seed)
    n_states = check_count(n_states, "n_states")
    counties_per_state = check_count(counties_per_state, "counties_per_state")
    schools_per_county = check_count(schools_per_county, "schools_per_county")
    median_school_size = check_count(median_school_size, "median_school_size", minimum=SCHOOL_SIZES[0])
    if median_school_size > _MAX_MEDIAN:
        raise ValueError(
            f"`median_school_size` must be between {SCHOOL_SIZES[0]} and {_MAX_MEDIAN}, got {median_school_size}: "
            f"public schools are clipped to {SCHOOL_SIZES[0]} to {SCHOOL_SIZES[1]} pupils, so above {SCHOOL_SIZES[1]} "
            f"a larger median only piles more schools up at {SCHOOL_SIZES[1]}, and at {_MAX_MEDIAN} nearly all are "
            "there. For more pupils, ask for more schools (schools_per_county) instead."
        )
    private_share = check_positive(private_share, "private_share", allow_zero=True)
    if private_share > 1:
        raise ValueError(f"`private_share` must lie between 0 and 1, got {private_share}.")
    _check_fits(n_states, counties_per_state, schools_per_county, median_school_size, private_share)
    # Any finite real number, NumPy's included (np.float32(500)); not a bool.
    mu = check_number(mu, "mu")
    beta_grade = check_number(beta_grade, "beta_grade")
    beta_ses = check_number(beta_ses, "beta_ses")
    beta_mean_ses = check_number(beta_mean_ses, "beta_mean_ses")
    private_effect = check_number(private_effect, "private_effect")
    suburban_effect = check_number(suburban_effect, "suburban_effect")
    rural_effect = check_number(rural_effect, "rural_effect")
    proficiency_threshold = check_number(proficiency_threshold, "proficiency_threshold")
    tau_state = check_positive(tau_state, "tau_state", allow_zero=True)
    tau_county = check_positive(tau_county, "tau_county", allow_zero=True)
    tau_school = check_positive(tau_school, "tau_school", allow_zero=True)
    slope_sd = check_positive(slope_sd, "slope_sd", allow_zero=True)
    sigma = check_positive(sigma, "sigma")
    if isinstance(slope_corr, bool) or not isinstance(slope_corr, int | float) or not -1 < slope_corr < 1:
        raise ValueError(f"`slope_corr` must be a number strictly between -1 and 1, got {slope_corr!r}.")
    if (
        not isinstance(grades, tuple)
        or len(grades) != 2
        or not all(isinstance(g, int) and not isinstance(g, bool) for g in grades)
        or grades[0] >= grades[1]
    ):
        raise ValueError(
            f"`grades` must be a pair of integers (lowest, highest) with lowest < highest, got {grades!r}."
        )

    rng = np.random.default_rng(seed)
    reference_grade = (grades[0] + grades[1]) // 2

    # States and counties.
    states = _labels("State ", n_states) if n_states > 26 else [f"State {chr(65 + s)}" for s in range(n_states)]
    effect_state = rng.normal(0.0, tau_state, n_states)
    n_counties = n_states * counties_per_state
    county_state = np.repeat(np.arange(n_states), counties_per_state)
    counties = [
        f"County {states[s].split()[-1]}{k + 1:02d}" for s in range(n_states) for k in range(counties_per_state)
    ]
    effect_county = rng.normal(0.0, tau_county, n_counties)
    n_schools_in_county = rng.integers(1, 2 * schools_per_county, size=n_counties)

    # Schools: sector, locale, size, mean SES, effects.
    n_schools = int(n_schools_in_county.sum())
    school_county = np.repeat(np.arange(n_counties), n_schools_in_county)
    private = rng.random(n_schools) < private_share
    locale = rng.choice(np.array(["urban", "suburban", "rural"]), size=n_schools, p=[0.35, 0.35, 0.30])
    size_public = np.clip(np.round(rng.lognormal(np.log(median_school_size), 0.9, n_schools)), 8, 500)
    size_private = rng.integers(5, 16, size=n_schools)
    n_students = np.where(private, size_private, size_public).astype(np.int64)
    mean_ses = (
        rng.normal(0.0, 0.4, n_schools)
        + np.select([locale == "suburban", locale == "rural"], [0.5, -0.3], 0.0)
    )
    z_school = rng.standard_normal(n_schools)
    z_slope = rng.standard_normal(n_schools)
    effect_school = tau_school * z_school
    ses_slope = beta_ses + slope_sd * (slope_corr * z_school + np.sqrt(1 - slope_corr**2) * z_slope)
    true_intercept = (
        mu
        + effect_state[county_state[school_county]]
        + effect_county[school_county]
        + private_effect * private
        + np.select([locale == "suburban", locale == "rural"], [suburban_effect, rural_effect], 0.0)
        + beta_mean_ses * mean_ses
        + effect_school
    )

    # Students.
    school_of = np.repeat(np.arange(n_schools), n_students)
    n_total = int(n_students.sum())
    grade = rng.integers(grades[0], grades[1] + 1, size=n_total)
    ses = mean_ses[school_of] + rng.normal(0.0, 0.8, n_total)
    literacy = (
        true_intercept[school_of]
        + beta_grade * (grade - reference_grade)
        + ses_slope[school_of] * ses
        + rng.normal(0.0, sigma, n_total)
    )

    school_labels = np.array(_labels("School ", n_schools))
    county_labels = np.array(counties)
    state_labels = np.array(states)
    sector = np.where(private, "private", "public")
    students = pd.DataFrame(
        {
            "student": np.arange(1, n_total + 1),
            "school": school_labels[school_of],
            "county": county_labels[school_county][school_of],
            "state": state_labels[county_state][school_county][school_of],
            "sector": sector[school_of],
            "locale": locale[school_of],
            "grade": grade,
            "ses": ses,
            "literacy": literacy,
            "proficient": (literacy >= proficiency_threshold).astype(np.int64),
        }
    )
    schools = pd.DataFrame(
        {
            "school": school_labels,
            "county": county_labels[school_county],
            "state": state_labels[county_state][school_county],
            "sector": sector,
            "locale": locale,
            "n_students": n_students,
            "mean_ses": mean_ses,
            "effect_state": effect_state[county_state[school_county]],
            "effect_county": effect_county[school_county],
            "effect_school": effect_school,
            "true_intercept": true_intercept,
            "true_ses_slope": ses_slope,
            "true_mean": true_intercept + ses_slope * mean_ses + beta_grade * (np.mean(grades) - reference_grade),
        }
    )
    county_frame = pd.DataFrame(
        {
            "county": county_labels,
            "state": state_labels[county_state],
            "n_schools": n_schools_in_county,
            "effect_county": effect_county,
        }
    )
    state_frame = pd.DataFrame({"state": state_labels, "effect_state": effect_state})
    params = {
        "seed": seed,
        "mu": float(mu),
        "beta_grade": float(beta_grade),
        "beta_ses": float(beta_ses),
        "beta_mean_ses": float(beta_mean_ses),
        "private_effect": float(private_effect),
        "suburban_effect": float(suburban_effect),
        "rural_effect": float(rural_effect),
        "tau_state": tau_state,
        "tau_county": tau_county,
        "tau_school": tau_school,
        "slope_sd": slope_sd,
        "slope_corr": float(slope_corr),
        "sigma": sigma,
        "proficiency_threshold": float(proficiency_threshold),
        "reference_grade": reference_grade,
    }
    return SimulatedRegion(students=students, schools=schools, counties=county_frame, states=state_frame, params=params)
