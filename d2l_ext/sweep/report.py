"""A finished sweep as one JSON, one figure and a Markdown table, in the sweep's folder."""

import json
import statistics

from d2l_ext import figures
from d2l_ext.atomic import write_atomic
from d2l_ext.sweep import exercises

JSON_NAME, FIGURE_NAME, TABLE_NAME = "sweep.json", "exercise{number}.png", "table.md"


def rows(records):
    """One row per grid value, in grid order: final test accuracy over its seeds (mean, min, max) and more."""
    values = list(dict.fromkeys(r["config"]["value"] for r in records))
    found = []
    for value in values:
        mine = [r for r in records if r["config"]["value"] == value]
        accs = [r["test_acc"] for r in mine]
        found.append(
            {
                "value": value,
                "schedule": mine[0]["config"]["schedule"],
                "seeds": [r["config"]["seed"] for r in mine],
                "test_acc": statistics.mean(accs),
                "test_acc_min": min(accs),
                "test_acc_max": max(accs),
                "best_test_acc": max(max(e["test_acc"] for e in r["epochs"]) for r in mine),
                "train_loss": statistics.mean(r["train_loss"] for r in mine),
                "train_acc": statistics.mean(r["train_acc"] for r in mine),
                "train_time_s": statistics.mean(r["train_time_s"] for r in mine),
            }
        )
    return found


def within_spread(found):
    """The grid values whose seeds' final test accuracies overlap the best value's (min-max): no measurable difference
    from the best with these seeds; the best value itself first."""
    best = max(found, key=lambda r: r["test_acc"])
    overlapping = [r["value"] for r in found if r is not best and r["test_acc_max"] >= best["test_acc_min"]]
    return [best["value"]] + overlapping


def seed_curves(records, value, key):
    """Per epoch, every seed's `key` for one grid value: [(seed 0's, seed 1's, ...), ...]."""
    return list(zip(*([e[key] for e in r["epochs"]] for r in records if r["config"]["value"] == value)))


def table(number, found):
    """The rows as a Markdown table (final figures are after the last epoch; mean over seeds, with min-max)."""
    label = exercises.exercise(number).label
    lines = [
        f"| {label} | seeds | test acc (final) | min-max | best epoch's test acc | train loss | train acc | s/trial |",
        "| ---: | :---: | ---: | :---: | ---: | ---: | ---: | ---: |",
    ]
    for r in found:
        lines.append(
            f"| {r['value']} | {len(r['seeds'])} | {r['test_acc']:.3f} "
            f"| {r['test_acc_min']:.3f}-{r['test_acc_max']:.3f} | {r['best_test_acc']:.3f} "
            f"| {r['train_loss']:.3f} | {r['train_acc']:.3f} | {r['train_time_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def draw(number, records, found):
    """The exercise's figure as PNG bytes: accuracy against its grid, or mean curves per power or schedule."""
    label = exercises.exercise(number).label

    def on(left, right):
        if number in (2, 3):
            epochs = [e["epoch"] for e in records[0]["epochs"]]
            for r in found:
                name = f"power {r['value']}" if number == 2 else r["value"]
                left.plot(epochs, [seeds[0] for seeds in seed_curves(records, r["value"], "lr")], label=name)
                accs = seed_curves(records, r["value"], "test_acc")
                (line,) = right.plot(epochs, [statistics.mean(seeds) for seeds in accs], label=name)
                right.fill_between(
                    epochs, list(map(min, accs)), list(map(max, accs)), color=line.get_color(), alpha=0.15
                )
            left.set(xlabel="epoch", ylabel="learning rate")
            right.set(xlabel="epoch", ylabel="test accuracy (band: seeds' min-max)")
        else:
            x = [r["value"] for r in found]
            err = [
                [r["test_acc"] - r["test_acc_min"] for r in found],
                [r["test_acc_max"] - r["test_acc"] for r in found],
            ]
            left.errorbar(
                x, [r["test_acc"] for r in found], yerr=err, marker="o", capsize=4, label="final (seeds: min-max)"
            )
            left.plot(x, [r["best_test_acc"] for r in found], "s--", label="best epoch")
            left.set(xlabel=label, ylabel="test accuracy")
            right.plot(x, [r["train_loss"] for r in found], "o-")
            right.set(xlabel=label, ylabel="final train loss")
            if number == 1:
                left.set_xscale("log")
                right.set_xscale("log")
        left.legend(fontsize=8)

    config = records[0]["config"]
    data = "quick subset" if config["quick"] else "all data"
    title = f"exercise {number}: {label}, {config['net']}, {data}, {config['epochs']} epochs, {records[0]['device']}"
    return figures.two_panels_png(on, title)


def write(folder, number, found, png, text, records):
    """Write sweep.json, the figure and table.md into `folder`."""
    summary = {"exercise": number, "rows": found, "trials": records}
    write_atomic(folder / JSON_NAME, json.dumps(summary, indent=1))
    write_atomic(folder / FIGURE_NAME.format(number=number), png)
    write_atomic(folder / TABLE_NAME, text)
