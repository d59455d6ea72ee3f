"""Figures: their plotted numbers beside the image (for nbval), a PNG beside the SVG, and the commands' PNG files.

IPython renders every displayed object in each registered format. `register()` adds one format, MIME, for
matplotlib figures: the x and y values of every line, rounded to SIGNIFICANT_DIGITS. JupyterLab has no
renderer for MIME and shows the SVG as before; nbval compares MIME like any other output (the SVG itself,
whose ids change from run to run, is skipped).
"""

import math

MIME = "application/vnd.d2l-ext.series+json"
SIGNIFICANT_DIGITS = 6  # schedules are exact to far more; 6 digits hide float-order noise across machines
# d2l draws SVG only. JupyterLab draws no SVG output of an untrusted notebook, and every notebook a student opens
# from a clone or a class server is untrusted: the figure shows as "<Figure size 350x250 ...>". A PNG beside it
# is drawn either way (trusted: the SVG still wins).
FIGURE_FORMATS = ("svg", "png")


def rounded(value):
    """A number to SIGNIFICANT_DIGITS (NaN and infinities as strings: JSON has none)."""
    value = float(value)
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(value) else str(value)


def figure_series(fig):
    """Per axes: labels, x range, legend, and each line's label (None when unlabelled), x and y values (rounded)."""
    return {
        "axes": [
            {
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "xlim": [rounded(v) for v in ax.get_xlim()],
                "legend": [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else [],
                "lines": [
                    {
                        "label": None if line.get_label().startswith("_") else line.get_label(),  # "_child0": none
                        "x": [rounded(v) for v in line.get_xdata()],
                        "y": [rounded(v) for v in line.get_ydata()],
                    }
                    for line in ax.get_lines()
                ],
            }
            for ax in fig.axes
        ]
    }


def named_lines(axes):
    """{name: line} of one axes' series, named by the line's label or else its legend entry (d2l's Animator)."""
    names = [
        line["label"] or (axes["legend"][i] if i < len(axes["legend"]) else None)
        for i, line in enumerate(axes["lines"])
    ]
    return {name: line for name, line in zip(names, axes["lines"]) if name}


def epochs_with_points(line):
    """The epochs (1, 2, ...) in which a line has a point: x in (k - 1, k] counts for epoch k."""
    return sorted({math.ceil(x) for x in line["x"] if isinstance(x, float) and x > 0})


def use_svg_display():
    """d2l's use_svg_display, with a PNG beside each SVG."""
    from matplotlib_inline import backend_inline

    backend_inline.set_matplotlib_formats(*FIGURE_FORMATS)


def draw_png_too(*modules):
    """Point each module's use_svg_display (d2l.<framework>'s, which its plotting calls, and a drop-in's) at ours."""
    for module in modules:
        module.use_svg_display = use_svg_display


def register(shell=None):
    """Add MIME to the IPython shell's display formats for matplotlib figures (no shell: do nothing)."""
    from IPython import get_ipython
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure

    shell = shell or get_ipython()
    if shell is None:
        return False
    display = shell.display_formatter
    if MIME not in display.formatters:

        class SeriesFormatter(BaseFormatter):
            format_type = MIME
            print_method = "_repr_d2l_ext_series_"
            _return_type = (dict,)

        display.formatters[MIME] = SeriesFormatter(parent=display)
    if MIME not in display.active_types:
        display.active_types.append(MIME)
    # found through the print method, not `for_type`: d2l calls use_svg_display() for every plot, and IPython's
    # select_figure_formats then drops every formatter's registration for Figure, ours included
    Figure._repr_d2l_ext_series_ = figure_series
    return True


def two_panels_png(draw, title, dpi=100):
    """PNG bytes of a figure with two axes side by side, drawn by draw(left, right), under `title`.

    A Figure of its own, not pyplot's: making the file changes no backend or figure of the caller's (a notebook's)."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6))
    draw(*fig.subplots(1, 2))
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=dpi)
    return png.getvalue()
