"""The throttled Animator records every point, redraws at most twice a second and at most a tenth of the
time, and always draws the end."""

import pytest

pytest.importorskip("torch")
from d2l_ext import animator  # noqa: E402
from d2l_ext import torch as d2l  # noqa: E402


class Clock:
    """A fake time.monotonic: the loop moves it by `step` per update, each redraw by `draw_s`."""

    def __init__(self, step, draw_s=0.0):
        self.now, self.step, self.draw_s = 0.0, step, draw_s

    def __call__(self):
        return self.now


@pytest.fixture
def run(monkeypatch):
    """Feed `n` updates at the clock's pace into an Animator; return the number of points at each redraw."""

    def run_updates(clock, n, ys=lambda x: x * 1.0):
        draws = []

        def draw(plot):
            draws.append(len(plot.X[0]))
            clock.now += clock.draw_s

        monkeypatch.setattr(animator.time, "monotonic", clock)
        monkeypatch.setattr(d2l.Animator, "draw", draw)
        plot = d2l.Animator(xlabel="epoch", xlim=[0, n - 1], legend=["a", "b"])
        for x in range(n):
            plot.add(x, ys(x))
            clock.now += clock.step
        return plot, draws

    return run_updates


def test_all_points_are_kept_but_fast_updates_draw_once_plus_the_end(run):
    plot, draws = run(Clock(step=0.1), 5, ys=lambda x: (x * 1.0, None if x % 2 else x * 2.0))
    assert plot.X[0] == [0, 1, 2, 3, 4] and plot.Y[1] == [0.0, 4.0, 8.0]
    assert draws == [1, 5]  # the first update (nothing drawn yet) and the point at the end of xlim


def test_a_slow_loop_draws_every_update(run):
    _, draws = run(Clock(step=1.0), 3)
    assert draws == [1, 2, 3]


def test_twice_a_second_at_most(run):
    _, draws = run(Clock(step=0.3), 6)  # updates at 0, 0.3, ..., 1.5 s
    assert draws == [1, 3, 5, 6]  # 0, 0.6 and 1.2 s, and the end


def test_a_slow_redraw_is_spaced_out_to_a_tenth_of_the_time(run):
    _, draws = run(Clock(step=0.6, draw_s=0.1), 7)  # a 0.1 s redraw: the next one 1 s after it started
    assert draws == [1, 3, 5, 7]
