"""The chapter's exercises 1 to 4 as grids of trials: their settings, the check of each value, its schedule.

Every trial is one of the chapter's PyTorch runs (the fast runner's loop) with its schedule per epoch:
  1: a constant rate over a log grid reaching divergence;
  2: MXNet's PolyScheduler from BASE_LR to 0 over all epochs, one trial per power;
  3: the chapter's five schedules (scaled to the trial's epochs) on a larger net than LeNet, the proxy for ImageNet;
  4: the chapter's cosine (BASE_LR to FINAL_LR over 2/3 of the epochs: 20 of 30) after a warm-up of w epochs.
Epoch e trains at schedule(e), the schedules being d2l_ext.stateless ones (the fast runner sets each epoch's rate).
The answer key's settings (`make exercises`) train on the quick data subset, three seeds a value, which a 2-core CPU
affords; `full_size` asks for all of Fashion-MNIST (and exercise 3's net at the book's width: for a GPU). The smaller
quick settings (D2L_EXT_QUICK=1, nbval) take smaller grids, fewer seeds and epochs; `grid`, `epochs`, `seeds`
override either.
"""

import math
from dataclasses import dataclass
from numbers import Real

from d2l_ext import D2lExtError
from d2l_ext.stateless import CosineSchedule, MultiFactorSchedule, PolyScheduler, SquareRootSchedule

# the chapter's PyTorch runs' (tests/test_chapter_runs.py holds these to the chapter's cells)
BASE_LR = 0.3  # its constant and cosine runs' rate
FINAL_LR = 0.01  # where its cosine runs end
COSINE_SHARE = 20 / 30  # its cosine reaches FINAL_LR after 20 of its 30 epochs
FRAMEWORKS = ("pytorch", "tensorflow")  # MXNet's Gluon Trainer steps a schedule per update, not per epoch
SEEDS = (0, 1, 2)
# exercise 3's proxy for ImageNet: the book's ResNet-18 for Fashion-MNIST (d2l.resnet18) at 1/PROXY_DIVISOR of its
# width, the widest whose sweep fits 30 minutes on 2 cores (benchmarks/README.md; half the width: 2.6 times the
# time); quick: at 1/QUICK_DIVISOR; full size: the book's own width
PROXY_DIVISOR, QUICK_DIVISOR = 4, 8
# the chapter's five PyTorch runs as schedules of a trial's epochs (its 30 scaled): the cosine reaches FINAL_LR at
# 2/3 of them, after a warm-up of 1/6 of them; the piecewise run halves its rate at half of them (the chapter's
# 15 of 30, without the pre-stepping its plotting cell gives the chapter's own run)
PROXY_SCHEDULES = ("constant", "sqrt", "piecewise", "cosine", "cosine-warmup")


@dataclass(frozen=True)
class Setting:
    """One sweep's grid, epochs per trial and seeds per grid value."""

    grid: tuple
    epochs: int
    seeds: tuple = SEEDS


@dataclass(frozen=True)
class Exercise:
    """An exercise of the chapter: what its grid varies, its full and quick settings."""

    number: int
    parameter: str  # the name of the grid's values
    label: str  # axis label
    full: Setting
    quick: Setting


# the answer key's settings (`make exercises`, the quick data subset) sized for a 2-core CPU: three seeds a value, so
# that a difference can be held against the spread; quick (nbval, CI's three lanes): smaller grids with the same
# ends in 2-3 epochs over two seeds (the spread still computed), exercise 3's two schedules on a narrower net,
# exercise 4's warm-ups that fit its shorter cosine
QUICK_SEEDS = (0, 1)
EXERCISES = {
    1: Exercise(
        1,
        "lr",
        "constant learning rate",
        Setting((0.05, 0.1, 0.2, 0.4, 0.8, 1.6), 10),
        Setting((0.05, 0.2, 0.8, 1.6), 2, QUICK_SEEDS),
    ),
    2: Exercise(
        2,
        "power",
        "PolyScheduler power",
        Setting((0.25, 0.5, 1, 2, 4, 8), 10),
        Setting((0.25, 1, 8), 2, QUICK_SEEDS),
    ),
    3: Exercise(3, "run", "schedule", Setting(PROXY_SCHEDULES, 8, (0, 1)), Setting(("constant", "cosine"), 1, (0,))),
    4: Exercise(4, "warmup", "warm-up epochs", Setting((0, 1, 2, 3, 5), 10), Setting((0, 1), 3, QUICK_SEEDS)),
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


def proxy_schedule(name, epochs):
    """Exercise 3's schedule `name` (PROXY_SCHEDULES) over `epochs` (None: constant BASE_LR)."""
    horizon = cosine_horizon(epochs)
    if name == "constant":
        return None
    if name == "sqrt":
        return SquareRootSchedule(lr=0.1)
    if name == "piecewise":
        return MultiFactorSchedule(step=[max(1, epochs // 2)], factor=0.5, base_lr=0.5)
    if name in ("cosine", "cosine-warmup"):
        warmup = min(max(1, round(epochs / 6)), horizon - 1) if name == "cosine-warmup" else 0
        return CosineSchedule(horizon, base_lr=BASE_LR, final_lr=FINAL_LR, warmup_steps=warmup)
    raise ValueError(f"schedule {name!r}: choose from {', '.join(PROXY_SCHEDULES)}")


def schedule(config):
    """The trial's stateless schedule (None: a constant rate); ValueError for a value it cannot take."""
    value, epochs = config["value"], config["epochs"]
    if config["exercise"] == 3:
        return proxy_schedule(value, epochs)
    if isinstance(value, str):
        raise ValueError(f"{value!r}: not a number")
    if config["exercise"] == 1:
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"lr={value!r}: must be a finite number > 0")
        return None
    if config["exercise"] == 2:
        return PolyScheduler(max_update=epochs, base_lr=BASE_LR, pwr=value, final_lr=0)
    return CosineSchedule(cosine_horizon(epochs), base_lr=BASE_LR, final_lr=FINAL_LR, warmup_steps=value)


def constant_rate(config):
    """The rate of a trial whose schedule is None: exercise 1's grid value, exercise 3's BASE_LR."""
    return BASE_LR if config["exercise"] == 3 else config["value"]


def describe(config):
    """The trial's schedule in words, e.g. 'PolyScheduler(max_update=30, ...)'."""
    found = schedule(config)
    return f"constant lr={constant_rate(config)!r}" if found is None else repr(found)


def rates(config):
    """The trial's learning rate per epoch, as the fast runner's Trainer takes a run: epoch e at schedule(e)."""
    found = schedule(config)
    return [constant_rate(config) if found is None else found(epoch) for epoch in range(config["epochs"])]


def repeated(values):
    """The first value given twice, or None."""
    return next((v for i, v in enumerate(values) if v in values[:i]), None)


def net_name(number, quick=False, full_size=False):
    """The trial's net: the chapter's LeNet, or exercise 3's ResNet-18 ('resnet18/4': at a quarter of its width)."""
    if number != 3:
        return "lenet"
    return "resnet18" if full_size else f"resnet18/{QUICK_DIVISOR if quick else PROXY_DIVISOR}"


def configs(number, quick=False, grid=None, epochs=None, seeds=None, framework="pytorch", full_size=False):
    """Every trial of a sweep as a plain dict (JSON, sent to workers), each value checked before any runs.

    config["quick"] is the data: the quick subset unless `full_size` (then all of Fashion-MNIST)."""
    ex = exercise(number)
    if quick and full_size:
        raise GridError("quick and full size: the quick settings train on the quick subset; choose one")
    setting = ex.quick if quick else ex.full
    grid = setting.grid if grid is None else tuple(grid)
    epochs = setting.epochs if epochs is None else epochs
    seeds = setting.seeds if seeds is None else tuple(seeds)
    if framework not in FRAMEWORKS:
        raise GridError(f"framework {framework!r}: sweeps run on {', '.join(FRAMEWORKS)} (epoch-clocked schedules)")
    if number == 3 and framework != "pytorch":
        raise GridError(f"framework {framework!r}: exercise 3's ResNet-18 is the fast runner's PyTorch one")
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
        config = {"exercise": number, ex.parameter: value, "value": value, "epochs": epochs, "quick": not full_size}
        config |= {"framework": framework, "net": net_name(number, quick, full_size)}
        try:
            config["schedule"] = describe(config)
        except ValueError as e:
            raise GridError(f"exercise {number}: grid value {value!r} refused ({ex.label}): {e}") from None
        found += [{**config, "seed": seed} for seed in seeds]
    return found


def parse_grid(text):
    """'0.1,0.3,1' -> (0.1, 0.3, 1): whole numbers stay ints; GridError naming a value that is not a number.

    Exercise 3's names (PROXY_SCHEDULES) stay names."""
    values = []
    for item in text.split(","):
        item = item.strip()
        try:
            values.append(int(item))
        except ValueError:
            try:
                values.append(float(item))
            except ValueError:
                if item in PROXY_SCHEDULES:
                    values.append(item)
                    continue
                raise GridError(
                    f"--grid value {item!r}: not a number (give numbers separated by commas; exercise 3 takes "
                    f"schedules: {', '.join(PROXY_SCHEDULES)})"
                ) from None
    return tuple(values)
