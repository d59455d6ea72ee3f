"""A figure's plotted numbers travel beside its image (d2l_ext.figures), for nbval to compare."""

import math
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest

from d2l_ext import figures


@pytest.fixture
def figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0.1, 1 / 3, math.nan], label="_child0")
    ax.plot([0, 1], [2e-9, 123456789.0], label="test acc")
    ax.set_xlabel("epoch")
    yield fig
    plt.close(fig)


def test_every_line_is_recorded_rounded_to_the_stated_digits(figure):
    (axes,) = figures.figure_series(figure)["axes"]
    assert axes["xlabel"] == "epoch" and [line["label"] for line in axes["lines"]] == [None, "test acc"]
    assert axes["lines"][0]["y"] == [0.1, 0.333333, "nan"] and axes["lines"][1]["y"] == [2e-9, 123457000.0]


def test_outside_ipython_nothing_is_registered():
    code = "from d2l_ext import figures; print(figures.register())"  # a fresh interpreter: no IPython shell at all
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
        == "False"
    )


def test_in_ipython_figures_carry_the_series_even_after_d2l_resets_the_figure_formats(figure):
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline import backend_inline

    shell = InteractiveShell.instance()
    try:
        assert figures.register(shell) is True
        backend_inline.set_matplotlib_formats("svg")  # what d2l.use_svg_display() does before every plot
        data, _ = shell.display_formatter.format(figure)
        assert "image/svg+xml" in data and data[figures.MIME] == figures.figure_series(figure)
    finally:
        InteractiveShell.clear_instance()


def test_lines_are_named_by_legend_as_d2ls_animator_labels_them_and_epochs_counted():
    fig, ax = plt.subplots()
    ax.plot([0.5, 1.0, 1.5], [3, 2, 1])
    ax.plot([1.0, 2.0], [0.5, 0.6])
    ax.legend(["train loss", "test acc"])  # d2l's Animator: legend entries, unlabelled lines
    ax.set_xlim([1, 3])
    (axes,) = figures.figure_series(fig)["axes"]
    plt.close(fig)
    assert axes["xlim"] == [1.0, 3.0] and axes["legend"] == ["train loss", "test acc"]
    lines = figures.named_lines(axes)
    assert figures.epochs_with_points(lines["train loss"]) == [1, 2]  # x in (0, 1] is epoch 1, (1, 2] epoch 2
    assert figures.epochs_with_points(lines["test acc"]) == [1, 2]


def test_figures_carry_a_png_beside_the_svg_for_untrusted_notebooks(figure):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        figures.register(shell)
        figures.use_svg_display()
        data, _ = shell.display_formatter.format(figure)
        assert {"image/svg+xml", "image/png", figures.MIME} <= set(data)
    finally:
        InteractiveShell.clear_instance()


def test_a_drop_ins_plot_shows_a_png_beside_the_svg(torch):
    # d2l.plot calls d2l's use_svg_display, which asks IPython for SVG alone: the drop-in's asks for a PNG too
    from IPython.core.interactiveshell import InteractiveShell

    from d2l_ext import torch as d2l

    shell = InteractiveShell.instance()
    try:
        d2l.plot(d2l.arange(3), [[1.0, 2.0, 3.0]])
        data, _ = shell.display_formatter.format(d2l.plt.gcf())
        assert {"image/svg+xml", "image/png"} <= set(data)
    finally:
        d2l.plt.close("all")
        InteractiveShell.clear_instance()
