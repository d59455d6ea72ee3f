"""The assignment's checks (notebooks/assignment-pytorch.md, otter-grader's tests): a student's answer held against
d2l_ext's own, each failure an AssertionError whose message says in Japanese what is wrong and where."""

import math
from numbers import Real

from d2l_ext.sweep import exercises

UNANSWERED = "まだ答えていません：{name} の `...` を自分のコードに置き換えて、そのセルを実行してください。"
UNANSWERED_FUNCTION = (
    "まだ答えていません：関数 {name} の本体の `...` を自分のコードに置き換えて、そのセルを実行してください"
    "（{call} が None を返しました）。"
)
TOLERANCE = {"rel_tol": 1e-6, "abs_tol": 1e-9}


def answered(**values):
    """Fail naming the first value still left as the notebook's `...` (or None: a function whose body is `...`)."""
    for name, value in values.items():
        assert value is not ... and value is not None, UNANSWERED.format(name=name)


def close(got, want):
    """Whether a student's number equals the reference's up to float rounding."""
    return isinstance(got, Real) and not isinstance(got, bool) and math.isclose(got, want, **TOLERANCE)


def same_schedule(name, student, reference, cases):
    """Fail at the first case (a tuple of arguments) where student(*case) differs from reference(*case)."""
    for case in cases:
        got = student(*case)
        assert got is not None, UNANSWERED_FUNCTION.format(name=name, call=f"{name}{case}")
        want = reference(*case)
        assert close(got, want), f"{name}{case} は {want:.6g} になるはずですが、{got!r} でした。"


def sweep_result(name, result, exercise, quick=None, seeds=None):
    """Fail unless `result` is what sweep.run(exercise, ...) returns; with `quick`, of its quick setting, and with
    `seeds`, that many seeds for each grid value."""
    rows, records = getattr(result, "rows", None), getattr(result, "records", None)
    assert isinstance(rows, list) and rows and isinstance(records, list), (
        f"{name} はスイープの結果（sweep.run({exercise}, quick=True) の返す値）ではありません：{type(result).__name__}"
    )
    found = {r["config"]["exercise"] for r in records}
    assert found == {exercise}, f"{name} は演習 {exercise} のスイープではなく、演習 {sorted(found)} のものです。"
    if quick:
        setting = exercises.exercise(exercise).quick
        grid = [row["value"] for row in rows]
        assert grid == list(setting.grid), (
            f"{name} のグリッドは {grid} で、クイックモードの {list(setting.grid)} と違います。"
        )
        assert {r["config"]["epochs"] for r in records} == {setting.epochs}, (
            f"{name} はクイックモードの {setting.epochs} エポックで訓練したものではありません。"
        )
    if seeds:
        short = [row["value"] for row in rows if len(row["seeds"]) < seeds]
        assert not short, f"{name} の値 {short} はシードが {seeds} つありません：ばらつきが測れません。"


def one_of(name, value, choices):
    """Fail unless `value` is one of `choices`."""
    assert value in choices, f"{name} = {value!r} は、スイープのグリッドの値 {choices} のどれでもありません。"


def best_of(name, value, rows):
    """Fail unless `value` is the grid value of the rows' highest mean final test accuracy."""
    best = max(rows, key=lambda row: row["test_acc"])
    assert value == best["value"], (
        f"{name} = {value!r} ですが、自分のスイープで最終テスト精度の平均が最も高いのは {best['value']!r}"
        f"（{best['test_acc']:.3f}）です。"
    )


def same_sgld_update(name, student, eps, data_size, noise, seed):
    """Fail unless student(theta, grad, eps, data_size, z) is d2l_ext.sgld.SGLD's step with the noise z it draws."""
    import torch

    from d2l_ext.sgld import SGLD

    theta = torch.linspace(-1, 1, 5, dtype=torch.float64)
    grad = torch.linspace(0.5, -0.3, 5, dtype=torch.float64)
    z = torch.randn(theta.shape, generator=torch.Generator().manual_seed(seed), dtype=theta.dtype) * noise
    want = theta.clone().requires_grad_()
    want.grad = grad.clone()
    SGLD([want], lambda t: eps, data_size, noise, torch.Generator().manual_seed(seed)).step()
    got = student(theta.clone(), grad.clone(), eps, data_size, z)
    assert got is not None, UNANSWERED_FUNCTION.format(name=name, call=f"{name}(theta, grad, {eps}, {data_size}, z)")
    ok = isinstance(got, torch.Tensor) and got.shape == theta.shape and torch.allclose(got, want.detach(), rtol=1e-6)
    args = f"eps={eps}, data_size={data_size}, 雑音{'あり' if noise else 'なし (z = 0)'}"
    assert ok, f"{name}（{args}）は {want.detach().tolist()} になるはずですが、{got!r} でした。"
