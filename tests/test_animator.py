"""The throttled Animator records every point, redraws at most twice a second, and always draws the end."""
import pytest

pytest.importorskip("torch")
from d2l_ext import animator  # noqa: E402
from d2l_ext import torch as d2l  # noqa: E402


@pytest.fixture
def draws(monkeypatch):
    """Count redraws instead of rendering them."""
    calls = []
    monkeypatch.setattr(d2l.Animator, "draw", lambda self: calls.append(len(self.X[0])))
    return calls


def test_all_points_are_kept_but_fast_updates_draw_once_plus_the_end(draws, monkeypatch):
    clock = iter([0.0, 0.1, 0.2, 0.3, 0.4]).__next__
    monkeypatch.setattr(animator.time, "monotonic", clock)
    plot = d2l.Animator(xlabel="epoch", xlim=[0, 4], legend=["a", "b"])
    for x in range(5):
        plot.add(x, (x * 1.0, None if x % 2 else x * 2.0))
    assert plot.X[0] == [0, 1, 2, 3, 4] and plot.Y[1] == [0.0, 4.0, 8.0]
    assert draws == [1, 5]  # the first update (nothing drawn yet) and the point at the end of xlim


def test_a_slow_loop_draws_every_update(draws, monkeypatch):
    clock = iter([0.0, 1.0, 2.0]).__next__
    monkeypatch.setattr(animator.time, "monotonic", clock)
    plot = d2l.Animator(xlim=[0, 10])
    for x in range(3):
        plot.add(x, x)
    assert draws == [1, 2, 3]
