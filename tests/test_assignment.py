"""The assignment grades itself, through the teacher's commands (`make assignment`, `make grade`, i.e. otter run):
the teacher's notebook scores full marks on every autograded question, the blank student notebook zero without a
crash (each question reported unanswered), and a copy with one wrong answer loses that question's points alone."""

import csv
import json
import os
import subprocess
import sys

import nbformat
import pytest

from tests.conftest import copy_repository
from tools import assignment

OTTER_IN_PINNED_LANE = "otter-grader is environment.yml's (the class image's); no other lane's packages change grading"
pytestmark = pytest.mark.pinned_lane(reason=OTTER_IN_PINNED_LANE)

# one plausible mistake a question: the solution's text -> the wrong one (each in exactly one cell of the key)
MUTANTS = {
    "q1": ("best_lr = max(ex1.rows", "best_lr = min(ex1.rows"),  # a best that is not the student's own
    "q2": ("** power", "* power"),
    "q3": ("(1 + math.cos(math.pi * epoch / max_epochs)) / 2", "(1 + math.cos(math.pi * epoch / max_epochs))"),
    "q4": ("progress = (epoch - warmup) / (max_epochs - warmup)", "progress = epoch / max_epochs"),
    "q5": ("eps / 2 * data_size * grad", "eps * data_size * grad"),
}


def command(repository, *args):
    """`python -m tools.assignment ARGS` in the repository copy, as `make assignment` / `make grade` run it."""
    env = {**os.environ, "D2L_EXT_QUICK": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tools.assignment", *args],
        cwd=repository,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def mutated(key, question):
    """The teacher's notebook with the question's mistake in it."""
    right, wrong = MUTANTS[question]
    nb = nbformat.read(key, as_version=4)
    hits = [cell for cell in nb.cells if cell.cell_type == "code" and right in cell.source]
    assert len(hits) == 1 and hits[0].source.count(right) == 1, f"{question}: {right!r} is not in exactly one place"
    hits[0].source = hits[0].source.replace(right, wrong)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory, real_data):
    """Build the autograder in a copy of the repository, hand in the key, the blank notebook and each mutant, grade."""
    repository = copy_repository(tmp_path_factory.mktemp("assignment") / "repository")
    built = command(repository, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    key = repository / "build" / "assignment" / "autograder" / f"{assignment.NAME}.ipynb"
    handed_in = repository / "handed-in"
    handed_in.mkdir()
    (handed_in / "key.ipynb").write_bytes(key.read_bytes())
    (handed_in / "blank.ipynb").write_bytes(assignment.NOTEBOOK.read_bytes())
    for question in MUTANTS:
        nbformat.write(mutated(key, question), handed_in / f"wrong-{question}.ipynb")
    done = command(repository, "grade", str(handed_in))
    with open(repository / "build" / "grades" / "scores.csv", newline="", encoding="utf-8") as f:
        scores = {row.pop("submission"): {q: float(s) for q, s in row.items()} for row in csv.DictReader(f)}
    return repository, built, done, scores


def test_make_assignment_writes_the_teachers_notebook_and_the_autograder(graded):
    repository, built, _, _ = graded
    autograder = repository / "build" / "assignment" / "autograder"
    assert (autograder / assignment.AUTOGRADER_ZIP).stat().st_size > 0 and "wrote" in built.stdout
    teacher = nbformat.read(autograder / f"{assignment.NAME}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in teacher.cells)
    assert "採点基準" in text and "best_lr = max(ex1.rows" in text  # rubrics and solutions: the teacher's alone
    student = (repository / "build" / "assignment" / "student" / f"{assignment.NAME}.ipynb").read_text()
    assert "採点基準" not in student and "best_lr = max(" not in student and "HIDDEN" not in student


def test_make_grade_exits_0_and_writes_every_submissions_results(graded):
    repository, _, done, scores = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(scores) == {"key", "blank", *(f"wrong-{q}" for q in MUTANTS)}
    assert all((repository / "build" / "grades" / name / "results.json").exists() for name in scores)


def test_the_teachers_notebook_scores_full_marks_on_every_autograded_question(graded):
    scores = graded[3]["key"]
    assert set(scores) == {*MUTANTS, "total"} and scores["total"] == 2 * len(MUTANTS)
    assert all(scores[q] == 2 for q in MUTANTS)


def test_the_blank_notebook_scores_zero_and_each_question_says_unanswered(graded):
    repository, _, _, scores = graded
    assert scores["blank"] == {**{q: 0 for q in MUTANTS}, "total": 0}
    results = json.loads((repository / "build" / "grades" / "blank" / "results.json").read_text(encoding="utf-8"))
    said = {t["name"]: t["output"] for t in results["tests"] if t["name"] in MUTANTS}
    assert set(said) == set(MUTANTS) and all("まだ答えていません" in s and "Traceback" not in s for s in said.values())


@pytest.mark.parametrize("question", MUTANTS)
def test_one_wrong_answer_loses_that_questions_points_alone(graded, question):
    scores = graded[3][f"wrong-{question}"]
    assert scores == {**graded[3]["key"], question: 0, "total": graded[3]["key"]["total"] - 2}


def test_the_student_notebook_has_each_questions_code_check_and_written_answer_and_no_solution():
    nb = nbformat.read(assignment.NOTEBOOK, as_version=4)
    checks = [c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith("grader.check(")]
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert checks == [f'grader.check("{q}")' for q in MUTANTS]
    assert [c.cell_type for c in answers].count("markdown") == len(MUTANTS)  # q1w ... q5w, each written
    assert all("..." in c.source for c in answers if c.cell_type == "code")
    text = "\n".join(c.source for c in nb.cells)
    assert "採点基準" not in text and "SOLUTION" not in text and "HIDDEN" not in json.dumps(nb.metadata["otter"])


def test_check_generated_fails_when_a_public_check_drifts_from_the_source(tmp_path, monkeypatch):
    source = tmp_path / assignment.SOURCE.name
    source.write_text(assignment.SOURCE.read_text(encoding="utf-8").replace("(3, 10, 0.3, 2)", "(4, 10, 0.3, 2)"))
    monkeypatch.setattr(assignment, "SOURCE", source)
    assert f"{assignment.NOTEBOOK}: its public tests (metadata `otter`) differ from {source.name}" in assignment.check()


def test_grading_without_an_autograder_says_to_build_it_first(tmp_path):
    copy = copy_repository(tmp_path / "repository")
    done = command(copy, "grade", str(copy / "notebooks"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "error:" in done.stderr and "make assignment" in done.stderr
