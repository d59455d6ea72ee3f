"""An Animator drawing the same final figure as d2l's, redrawing at most twice a second and a tenth of the time."""

import time

from IPython import display

REDRAW_INTERVAL_S = 0.5  # redraw at most this often; the point at the end of xlim always redraws
MAX_DRAW_SHARE = 0.1  # and spend at most this share of the time drawing (an SVG redraw: ~80 ms on 2 CPU cores)


class ThrottledAnimatorMixin:
    """Put before d2l's Animator: `add` records every point, drawing only when due."""

    _next_draw = float("-inf")

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, *args, **kwargs):
        super().__init__(xlabel, ylabel, legend, xlim, *args, **kwargs)
        self.x_end = xlim[1] if xlim else None

    def add(self, x, y):
        """Record the points (as d2l's Animator does); redraw when due or at the end of xlim."""
        ys = list(y) if hasattr(y, "__len__") else [y]
        xs = list(x) if hasattr(x, "__len__") else [x] * len(ys)
        if not self.X:
            self.X = [[] for _ in ys]
        if not self.Y:
            self.Y = [[] for _ in ys]
        for i, (a, b) in enumerate(zip(xs, ys)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        known = [a for a in xs if a is not None]
        at_end = self.x_end is not None and bool(known) and max(known) >= self.x_end
        now = time.monotonic()
        if at_end or now >= self._next_draw:
            self.draw()
            self._next_draw = now + max(REDRAW_INTERVAL_S, (time.monotonic() - now) / MAX_DRAW_SHARE)

    def draw(self):
        """Redraw every line and show the figure in place of the previous one."""
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(xs, ys, fmt)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)
