"""The assignment from notebooks/assignment-pytorch.md: otter-grader's master notebook, then `otter assign`.

The source is the chapter's markdown format (tools/chapter.py) plus ```{.raw} blocks holding otter-grader's markers
(ASSIGNMENT CONFIG, BEGIN/END QUESTION, SOLUTION and TESTS). From its master notebook `otter assign` writes the
student notebook (solutions and hidden tests removed; public tests in its metadata, which `grader.check` runs) and
the teacher's autograder (the notebook with solutions and rubrics, and the zip `otter run` and Gradescope take).
The student notebook is committed, as notebooks/assignment-pytorch.ipynb, with the outputs of its blank state;
`make assignment` writes the teacher's side to build/assignment/, `make grade SUBMISSIONS=folder` runs `otter run` on
each handed-in notebook (the first to run a sweep trains it, the rest reuse its trials) into build/grades/.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from d2l_ext import sweep
from d2l_ext.atomic import write_atomic
from tools import chapter, notebooks

TAB = "pytorch"
NAME = "assignment-pytorch"
SOURCE = notebooks.NOTEBOOK_DIR / f"{NAME}.md"
NOTEBOOK = notebooks.NOTEBOOK_DIR / f"{NAME}.ipynb"
DIST = notebooks.NOTEBOOK_DIR.parent / "build" / "assignment"
AUTOGRADER_ZIP = f"{NAME}-autograder.zip"  # otter names it with a timestamp; renamed, so that docs can name it
GRADES = DIST.parent / "grades"
TRIALS = "trials"  # under the grades: the sweeps' trials, trained by the first submission that runs each
GRADE_TIMEOUT_S = 900  # one submission's run: about 45 s for a complete one on 2 cores (benchmarks/README.md)
USAGE = "usage: python -m tools.assignment build [DIR] | grade SUBMISSIONS [OUT]"
# otter-grader's English in the student notebook, in the chapter's language
JAPANESE = {
    "_Type your answer here, replacing this text._": "_ここに答えを書いてください。_",
    "To double-check your work, the cell below will rerun all of the autograder tests.": (
        "提出する前に、下のセルですべての問の確認（公開されている分）をもう一度実行してください。"
    ),
}


class AssignError(RuntimeError):
    """`otter assign` failed on the master notebook; the message holds its output."""


NEW_CELL = {
    "raw": nbformat.v4.new_raw_cell,
    "code": nbformat.v4.new_code_cell,
    "markdown": nbformat.v4.new_markdown_cell,
}


def master():
    """otter-grader's master notebook from the source."""
    cells = [NEW_CELL[kind](src) for kind, src in chapter.tab_cells(chapter.read_chapter(SOURCE), TAB)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = notebooks.KERNELSPEC
    return nb


def assign(dist):
    """Run `otter assign` on the master notebook into `dist` (student/ and autograder/); the zip renamed."""
    dist = Path(dist)
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / f"{NAME}.ipynb"
        nbformat.write(master(), path)
        command = [sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs", str(path), str(dist)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise AssignError(f"otter assign failed on {SOURCE.name}:\n{done.stdout}{done.stderr}")
    (zipped,) = (dist / "autograder").glob(f"{NAME}-autograder_*.zip")
    zipped.rename(dist / "autograder" / AUTOGRADER_ZIP)
    return dist


def student(old=None):
    """The student notebook as committed: otter's, in Japanese, with stable cell ids and `old`'s outputs."""
    with tempfile.TemporaryDirectory() as work:
        nb = notebooks.read(assign(Path(work) / "dist") / "student" / f"{NAME}.ipynb")
    for index, cell in enumerate(nb.cells, 1):
        for english, japanese in JAPANESE.items():
            cell.source = cell.source.replace(english, japanese)
        cell.id = f"cell-{index:02d}"
    nb.cells = notebooks.carry_outputs(nb.cells, old)
    nb.metadata = (dict(old.metadata) if old else {}) | {"otter": nb.metadata["otter"]}
    nb.metadata["kernelspec"] = notebooks.KERNELSPEC
    nb.metadata.setdefault("language_info", {"name": "python"})  # the kernel's own, once executed
    return nb


def without_otter(what):
    """True, saying so, where otter-grader is not installed (the other lanes): the assignment is .venv's to build."""
    if importlib.util.find_spec("otter") is None:
        print(f"{NOTEBOOK.name} not {what}: otter-grader is not installed here (.venv has it)", file=sys.stderr)
        return True
    return False


def generate():
    """Write the student notebook (where otter-grader is installed)."""
    if without_otter("regenerated"):
        return
    notebooks.write(student(notebooks.read(NOTEBOOK)), NOTEBOOK)
    print(f"wrote notebooks/{NOTEBOOK.name}")


def check():
    """Lines naming each cell of the committed student notebook that drifted from its source (empty when in sync;
    and where otter-grader is not installed, saying so)."""
    if without_otter("checked"):
        return []
    have = notebooks.read(NOTEBOOK)
    if have is None:
        return [f"{NOTEBOOK}: missing"]
    want = student()
    problems = [
        f"{NOTEBOOK}: cell {i} differs from {SOURCE.name}"
        for i, (a, b) in enumerate(zip(notebooks.shape(have), notebooks.shape(want)), 1)
        if a != b
    ]
    if len(have.cells) != len(want.cells):
        problems.append(f"{NOTEBOOK}: {len(have.cells)} cells, {SOURCE.name} gives {len(want.cells)}")
    if have.metadata.get("otter") != want.metadata["otter"]:
        problems.append(f"{NOTEBOOK}: its public tests (metadata `otter`) differ from {SOURCE.name}")
    return problems


def grade_one(autograder, submission, out):
    """`otter run` on one submission into `out` (its results.json): {question: (score, points)} of the autograded
    questions (the written ones are the teacher's to read), or an error line."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "otter", "run", "-a", str(autograder), "-o", str(out), str(submission)]
    env = {**os.environ, sweep.ENV_STORE: str(out.parent / TRIALS)}  # identical sweeps train once for the class
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=GRADE_TIMEOUT_S)
    if done.returncode or not (out / "results.json").exists():
        return f"{submission.name}: otter run failed (status {done.returncode}): {done.stderr.strip()[-500:]}"
    tests = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]
    return {t["name"]: (t["score"], t["max_score"]) for t in tests if t.get("max_score")}


def grade(submissions, out, dist=DIST):
    """Grade every notebook in `submissions` with the built autograder; scores.csv in `out`; the failures' lines."""
    autograder = Path(dist) / "autograder" / AUTOGRADER_ZIP
    if not autograder.exists():
        raise FileNotFoundError(f"{autograder}: no autograder; build it first with `make assignment`")
    notebooks_in = sorted(Path(submissions).glob("*.ipynb")) if Path(submissions).is_dir() else [Path(submissions)]
    if not notebooks_in or not all(p.exists() for p in notebooks_in):
        raise FileNotFoundError(f"{submissions}: no submitted notebook (.ipynb) there")
    out, lines, failures = Path(out), [], []
    for submission in notebooks_in:
        start = time.monotonic()
        scores = grade_one(autograder, submission, out / submission.stem)
        if isinstance(scores, str):
            failures.append(scores)
            continue
        total, possible = (sum(column) for column in zip(*scores.values()))
        lines = lines or [",".join(["submission", *scores, "total"])]
        lines.append(",".join([submission.stem, *(f"{s:g}" for s, _ in scores.values()), f"{total:g}"]))
        each = ", ".join(f"{q} {s:g}" for q, (s, _) in scores.items())
        print(f"{submission.stem}: {total:g} / {possible:g} ({each}) in {time.monotonic() - start:.0f} s")
    write_atomic(out / "scores.csv", "\n".join(lines) + "\n")
    return failures


def main(argv):
    """`build [DIR]`: the teacher's side (autograder/: notebook with solutions and rubrics, zip) in build/assignment;
    `grade SUBMISSIONS [OUT]`: otter run on each notebook there, scores in OUT/scores.csv (build/grades)."""
    try:
        if argv[:1] == ["build"] and len(argv) <= 2:
            dist = Path(argv[1]) if len(argv) == 2 else DIST
            shutil.rmtree(dist, ignore_errors=True)
            try:
                assign(dist)
            except AssignError:
                shutil.rmtree(dist, ignore_errors=True)  # nothing half-written left
                raise
            print(f"wrote {dist}: autograder/{NAME}.ipynb (solutions, rubrics), autograder/{AUTOGRADER_ZIP}, student/")
            return 0
        if argv[:1] == ["grade"] and len(argv) in (2, 3):
            out = Path(argv[2]) if len(argv) == 3 else GRADES
            failures = grade(argv[1], out)
            for line in failures:
                print(f"error: {line}", file=sys.stderr)
            print(f"wrote {out / 'scores.csv'}")
            return 1 if failures else 0
    except (AssignError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
