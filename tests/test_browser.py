"""In a real browser (`make test-browser`): JupyterLab from the project environment in Debian's Chromium opens each
committed notebook without marking it modified, runs its cells without an error and with every figure drawn (the
chapter's `train` made a no-op: the trainings' own cells define what later cells use), runs one notebook whole
after *Restart Kernel and Run All* in quick mode with one real training (the kernels' startup file lets only the
first `train` call train), opens the assignment's student notebook, whose cells run and whose checks say
"unanswered" in Japanese, and speaks Japanese."""

import pytest

pytest.importorskip("selenium", reason="Selenium is one of environment.yml's development pins: `make test-browser`")
from tests import lab_browser as lb  # noqa: E402
from tools import assignment, chapter, notebooks

pytestmark = pytest.mark.browser
TRAINING = notebooks.IGNORE_OUTPUT_TAG
RUN_ALL_TAB = "pytorch"  # the framework whose notebook runs whole: the one most classes teach with
RUN_ALL_S = 600  # quick mode, 2 cores: about a minute (one training)
NO_TRAINING = "def train(*args, **kwargs):\n    pass"  # after the first cell, which defines the chapter's train


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = lb.Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    driver = lb.chromium()
    yield driver
    driver.quit()


def open_notebook(browser, lab, tab=None, name=None):
    """Open a tab's notebook (or the one named) in JupyterLab and wait until its kernel is idle."""
    browser.get(lab.url(f"lab/tree/{name or notebooks.notebook_path(tab).name}"))
    lb.wait_for(browser, lb.READY, lb.START_S)


def problems(cells):
    """Cells with an error output, or with a figure JupyterLab did not draw."""
    return [
        (c["index"], c["errors"], f"{c['rendered']}/{c['figures']} figures drawn")
        for c in cells
        if c["errors"] or c["rendered"] < c["figures"]
    ]


@pytest.mark.parametrize("tab", chapter.TABS)
def test_a_notebook_opens_clean_and_its_non_training_cells_run_with_every_figure_drawn(browser, lab, tab):
    open_notebook(browser, lab, tab)
    assert browser.execute_async_script(lb.DIRTY) is False, "opening the notebook marked it modified"
    code = [c for c in browser.execute_script(lb.CELLS) if c["type"] == "code"]
    for n, cell in enumerate(code):
        assert browser.execute_async_script(lb.RUN_CELL, cell["index"]) == "ok"
        if n == 0:
            assert browser.execute_async_script(lb.KERNEL_EXECUTE, NO_TRAINING) == "ok"
    ran = [c for c in browser.execute_script(lb.CELLS) if c["type"] == "code" and TRAINING not in c["tags"]]
    lb.screenshot(browser, f"{tab}-non-training-cells")
    assert all(c["count"] for c in ran) and not problems(ran), problems(ran)
    assert sum(c["figures"] for c in ran) > 0
    lab.shutdown_kernels()


def test_restart_kernel_and_run_all_in_quick_mode_runs_every_cell(browser, lab):
    open_notebook(browser, lab, RUN_ALL_TAB)
    browser.execute_script(lb.COMMAND, "notebook:clear-all-cell-outputs")  # then a count on every cell: all ran
    browser.execute_script(lb.COMMAND, "notebook:restart-run-all")
    lb.wait_for(browser, lb.ACCEPT_DIALOG, lb.PAGE_S)  # "Restart Kernel?"
    lb.wait_for(browser, lb.ALL_RAN, RUN_ALL_S)
    lb.screenshot(browser, f"{RUN_ALL_TAB}-restart-run-all")
    code = [c for c in browser.execute_script(lb.CELLS) if c["type"] == "code"]
    assert not problems(code), problems(code)
    trainings = [c for c in code if TRAINING in c["tags"]]
    assert trainings[0]["figures"] == 1 and all(c["count"] for c in trainings)  # the one real training drew its figure
    lab.shutdown_kernels()


def test_the_blank_assignment_opens_clean_and_runs_with_each_check_saying_unanswered(browser, lab):
    open_notebook(browser, lab, name=assignment.NOTEBOOK.name)
    assert browser.execute_async_script(lb.DIRTY) is False, "opening the notebook marked it modified"
    code = [c for c in browser.execute_script(lb.CELLS) if c["type"] == "code"]
    for cell in code:
        assert browser.execute_async_script(lb.RUN_CELL, cell["index"]) == "ok"
    ran = [c for c in browser.execute_script(lb.CELLS) if c["type"] == "code"]
    lb.screenshot(browser, "assignment-blank")
    assert all(c["count"] for c in ran) and not problems(ran), problems(ran)
    checks = [c for c in ran if c["source"].startswith("grader.check(")]
    assert checks and all("まだ答えていません" in c["text"] for c in checks), [c["text"][:200] for c in checks]
    lab.shutdown_kernels()


def test_the_ui_switches_to_japanese(browser, lab):
    lab.set_locale("ja_JP")
    try:
        browser.get(lab.url("lab"))
        menus = lb.wait_for(browser, lb.MENU_TEXT, lb.START_S)
        lb.screenshot(browser, "ui-japanese")
        assert "ファイル" in menus and "File" not in menus, menus
    finally:
        lab.set_locale("en")
