"""The chapter's exercises 1, 2 and 4 as grids of trials: their settings, the check of each value, its schedule.

Every trial is the chapter's PyTorch LeNet run (the fast runner's loop); only the learning rate differs:
  1: a constant rate over a log grid;
  2: MXNet's PolyScheduler from BASE_LR to 0 over all epochs, one trial per power;
  4: the chapter's cosine (BASE_LR to FINAL_LR over 2/3 of the epochs: 20 of 30) after a warm-up of w epochs.
Epoch e trains at schedule(e), the schedules being d2l_ext.stateless ones (the fast runner sets each epoch's rate).
Quick mode is the quick data subset plus the smaller QUICK settings, so an answer key runs in about a minute on
a 2-core CPU; `grid`, `epochs`, `seeds` override either.
"""

import math
from dataclasses import dataclass
from numbers import Real

from d2l_ext import D2lExtError
from d2l_ext.stateless import CosineSchedule, PolyScheduler

# the chapter's PyTorch runs' (tests/test_chapter_runs.py holds these to the chapter's cells)
BASE_LR = 0.3  # its constant and cosine runs' rate
FINAL_LR = 0.01  # where its cosine runs end
COSINE_SHARE = 20 / 30  # its cosine reaches FINAL_LR after 20 of its 30 epochs
FRAMEWORKS = ("pytorch", "tensorflow")  # MXNet's Gluon Trainer steps a schedule per update, not per epoch


@dataclass(frozen=True)
class Setting:
    """One sweep's grid, epochs per trial and seeds per grid value."""

    grid: tuple
    epochs: int
    seeds: tuple = (0,)


@dataclass(frozen=True)
class Exercise:
    """An exercise of the chapter: what its grid varies, its full and quick settings."""

    number: int
    parameter: str  # the name of the grid's values
    label: str  # axis label
    full: Setting
    quick: Setting


# full grids sized so the answer key's full-data run fits a 2-core CPU (12 trials of about 2 minutes each, alone);
# exercise 4 over two seeds (its differences are small: the spread says whether they matter); quick: 6 epochs,
# and for exercise 4 warm-ups that fit its shorter cosine
EXERCISES = {
    1: Exercise(1, "lr", "constant learning rate", Setting((0.05, 0.2, 0.8), 30), Setting((0.05, 0.2, 0.8), 6)),
    2: Exercise(2, "power", "PolyScheduler power", Setting((0.5, 1, 4), 30), Setting((0.5, 1, 4), 6)),
    4: Exercise(4, "warmup", "warm-up epochs", Setting((0, 3, 10), 30, (0, 1)), Setting((0, 1, 2), 6, (0, 1))),
}


class GridError(D2lExtError, ValueError):
    """A grid value, epoch count, seed or framework the sweep refuses; the message names it."""


def exercise(number):
    """The Exercise numbered `number`, else GridError naming the choices."""
    if number not in EXERCISES:
        raise GridError(f"exercise {number!r}: choose one of {', '.join(map(str, EXERCISES))}")
    return EXERCISES[number]


def cosine_horizon(epochs):
    """The epoch at which exercise 4's cosine reaches FINAL_LR: 20 of 30, as the chapter's."""
    return max(1, round(epochs * COSINE_SHARE))


def schedule(config):
    """The trial's stateless schedule (None: a constant rate); ValueError for a value it cannot take."""
    value, epochs = config["value"], config["epochs"]
    if config["exercise"] == 1:
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"lr={value!r}: must be a finite number > 0")
        return None
    if config["exercise"] == 2:
        return PolyScheduler(max_update=epochs, base_lr=BASE_LR, pwr=value, final_lr=0)
    return CosineSchedule(cosine_horizon(epochs), base_lr=BASE_LR, final_lr=FINAL_LR, warmup_steps=value)


def describe(config):
    """The trial's schedule in words, e.g. 'PolyScheduler(max_update=30, ...)'."""
    found = schedule(config)
    return f"constant lr={config['value']!r}" if found is None else repr(found)


def rates(config):
    """The trial's learning rate per epoch, as the fast runner's Trainer takes a run: epoch e at schedule(e)."""
    found = schedule(config)
    return [config["value"] if found is None else found(epoch) for epoch in range(config["epochs"])]


def repeated(values):
    """The first value given twice, or None."""
    return next((v for i, v in enumerate(values) if v in values[:i]), None)


def configs(number, quick=False, grid=None, epochs=None, seeds=None, framework="pytorch"):
    """Every trial of a sweep as a plain dict (JSON, sent to workers), each value checked before any runs."""
    ex = exercise(number)
    setting = ex.quick if quick else ex.full
    grid = setting.grid if grid is None else tuple(grid)
    epochs = setting.epochs if epochs is None else epochs
    seeds = setting.seeds if seeds is None else tuple(seeds)
    if framework not in FRAMEWORKS:
        raise GridError(f"framework {framework!r}: sweeps run on {', '.join(FRAMEWORKS)} (epoch-clocked schedules)")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise GridError(f"epochs={epochs!r}: must be a whole number >= 1")
    if not grid or not seeds:
        raise GridError(f"exercise {number}: the grid ({grid!r}) and the seeds ({seeds!r}) must not be empty")
    bad_seeds = [s for s in seeds if isinstance(s, bool) or not isinstance(s, int) or s < 0]
    if bad_seeds:
        raise GridError(f"seed {bad_seeds[0]!r}: seeds are whole numbers >= 0")
    for name, values in (("grid value", grid), ("seed", seeds)):
        if repeated(values) is not None:
            raise GridError(f"{name} {repeated(values)!r} is given twice: it would train twice and count as two")
    found = []
    for value in grid:
        config = {"exercise": number, ex.parameter: value, "value": value, "epochs": epochs, "quick": bool(quick)}
        config["framework"] = framework
        try:
            config["schedule"] = describe(config)
        except ValueError as e:
            raise GridError(f"exercise {number}: grid value {value!r} refused ({ex.label}): {e}") from None
        found += [{**config, "seed": seed} for seed in seeds]
    return found


def parse_grid(text):
    """'0.1,0.3,1' -> (0.1, 0.3, 1): whole numbers stay ints; GridError naming a value that is not a number."""
    values = []
    for item in text.split(","):
        item = item.strip()
        try:
            values.append(int(item))
        except ValueError:
            try:
                values.append(float(item))
            except ValueError:
                raise GridError(f"--grid value {item!r}: not a number (give numbers separated by commas)") from None
    return tuple(values)
