"""The chapter as one web page (`make html`): built offline from the committed notebooks, the chapter's roles as
readable text, launch links from the one repository address; in Chromium (`make test-browser`), no request leaves
the machine, one click on PyTorch switches every tab set and is remembered, every figure shows, the math is typeset
and the Japanese text renders."""

import json
import os
import subprocess
import sys

import pytest

from tools import chapter, notebooks, page

SPHINX_IN_PINNED_LANE = "Sphinx, myst-nb and sphinx-design are environment.yml's development pins"
LOCAL = ("file://", "data:", "about:", "blob:", "chrome-extension://")
SYNCED = """
const sets = [...document.querySelectorAll('.sd-tab-set')];
return sets.map(s => { const c = s.querySelector('input:checked'); return c && s.querySelector(`label[for="${c.id}"]`)
  .dataset.syncId; });"""
CLICK_TAB = """document.querySelector(`.sd-tab-set label[data-sync-id="${arguments[0]}"]`).click();"""
MATH_DONE = """return window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0
  && MathJax.Hub.queue.running === 0 && document.querySelectorAll('.MathJax_SVG').length;"""
SHOWN_FIGURES = """return [...document.querySelectorAll('img')].filter(i => i.offsetParent !== null).map(i =>
  [i.getAttribute('src'), i.complete && i.naturalWidth, Math.round(i.getBoundingClientRect().width)]);"""
PROSE = """const body = document.querySelector('div.body').cloneNode(true);
body.querySelectorAll('pre, code, .MathJax_SVG, script').forEach(e => e.remove());
return body.textContent;"""
JAPANESE = """const h = document.querySelector('h1'); const style = getComputedStyle(h);
return [h.textContent, style.fontFamily, Math.round(h.getBoundingClientRect().width),
  document.fonts.check('24px "Noto Sans CJK JP"', h.textContent)];"""


def test_the_roles_read_as_text_or_links_to_this_page():
    assert page.readable("see :numref:`sec_momentum`", set()) == "see 本書の節「momentum」"
    assert page.readable(":numref:`sec_scheduler`", {"sec_scheduler"}) == "{ref}`sec_scheduler`"
    assert page.readable(":cite:`Loshchilov.Hutter.2016`", set()) == "(Loshchilov and Hutter, 2016)"
    assert page.cite("Izmailov.Podoprikhin.Garipov.ea.2018") == "(Izmailov, Podoprikhin, Garipov et al., 2018)"


def test_the_page_has_the_text_once_and_every_code_cell_under_its_frameworks_tabs():
    text, figures = page.chapter_markdown("LINKS")
    code = [c for c in chapter.read_chapter() if c.kind == "code"]
    assert text.count("```python") == sum(len(c.tabs) for c in code)
    assert text.count("::::{tab-set}") >= 10 and ":sync-group: framework" in text
    assert not page.ROLE.search(text) and ":label:" not in text and "(sec_scheduler)=" in text
    assert text.count("# 学習率スケジューリング") == 1 and text.index("LINKS") < text.index("## おもちゃ問題")
    assert figures and all(name.endswith((".svg", ".png")) and content for name, content in figures.items())


def test_a_notebook_that_lags_the_chapter_stops_the_build_naming_it(monkeypatch):
    stale = notebooks.read(notebooks.notebook_path("tensorflow"))
    code = [c for c in stale.cells if c.cell_type == "code" and c.get("id") != notebooks.INSTALL_ID]
    code[3].source += "\n# edited"
    real = notebooks.read
    monkeypatch.setattr(notebooks, "read", lambda path: stale if "tensorflow" in str(path) else real(path))
    with pytest.raises(page.PageError, match="lr-scheduler-tensorflow.ipynb does not hold .* `make notebooks`"):
        page.chapter_markdown("")


def test_launch_links_come_from_a_github_address_and_say_why_where_there_is_none():
    assert "起動リンクなし" in page.launch_links("lr-scheduler-pytorch.ipynb", "", "")
    links = page.launch_links("lr-scheduler-pytorch.ipynb", "git+https://github.com/o/r.git", "https://hub.example")
    assert "https://colab.research.google.com/github/o/r/blob/main/notebooks/lr-scheduler-pytorch.ipynb" in links
    assert "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/notebooks/lr-scheduler-pytorch.ipynb" in links
    assert "https://hub.example/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fo%2Fr&branch=main" in links


def test_without_debians_mathjax_the_build_stops_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(page, "MATHJAX", tmp_path / "mathjax")
    with pytest.raises(page.PageError, match="apt-get install libjs-mathjax"):
        page.copy_mathjax()


@pytest.mark.pinned_lane(reason=SPHINX_IN_PINNED_LANE)
def test_make_html_builds_the_pages_offline_and_says_their_size(repository_copy):
    env = {**os.environ, page.SOURCE_VAR: "https://github.com/o/r"}
    done = subprocess.run(
        [sys.executable, "-m", "tools.page"], cwd=repository_copy, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    html = repository_copy / "build" / "html"
    assert "wrote build/html/index.html" in done.stdout and "MB in all" in done.stdout
    assert {"index.html", "exercises-pytorch.html", "assignment-pytorch.html"} <= {p.name for p in html.iterdir()}
    assert (html / "_static" / "mathjax" / "MathJax.js").exists()
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "colab.research.google.com/github/o/r" in index and "cdn" not in index.lower()


# ---- in Chromium (make test-browser, after make html) ----
@pytest.fixture(scope="module")
def browser():
    from tests import lab_browser as lb

    if not (page.HTML / "index.html").exists():
        pytest.fail("build/html/index.html missing: `make test-browser` builds it first (make html)")
    driver = lb.chromium(log_requests=True)
    yield driver
    driver.quit()


def requests_made(driver):
    """The URLs the page asked for since the last call (Chromium's performance log)."""
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]


def open_page(driver, name):
    """Load a built page and wait until MathJax (if any math) is done."""
    from tests import lab_browser as lb

    driver.get((page.HTML / name).as_uri())
    lb.wait_for(driver, "return document.readyState === 'complete';", lb.PAGE_S)


@pytest.mark.browser
def test_the_page_loads_with_no_request_leaving_the_machine_math_typeset_and_japanese_shown(browser):
    from tests import lab_browser as lb

    requests_made(browser)
    open_page(browser, "index.html")
    assert lb.wait_for(browser, MATH_DONE, lb.PAGE_S) > 10
    prose = browser.execute_script(PROSE)
    assert "$" not in prose and ":numref:" not in prose and ":cite:" not in prose
    title, font, width, available = browser.execute_script(JAPANESE)
    assert title.startswith("学習率スケジューリング") and "Noto Sans CJK JP" in font and width > 100 and available
    lb.SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(lb.SHOTS / "page-top.png"))  # the title, the launch links, the first math
    for name in page.FURTHER_PAGES:
        open_page(browser, name.replace(".ipynb", ".html"))
        figures = browser.execute_script(SHOWN_FIGURES)
        assert all(natural and width for _, natural, width in figures), figures
    remote = [url for url in requests_made(browser) if not url.startswith(LOCAL)]
    assert remote == []


@pytest.mark.browser
def test_one_click_on_a_framework_switches_every_tab_set_and_is_remembered_with_every_figure_shown(browser):
    from tests import lab_browser as lb

    open_page(browser, "index.html")
    assert set(browser.execute_script(SYNCED)) == {"mxnet"}  # the first tab, before any choice
    for tab in ("pytorch", "tensorflow", "mxnet", "pytorch"):  # PyTorch last: the choice then remembered
        browser.execute_script(CLICK_TAB, tab)
        shown = browser.execute_script(SYNCED)
        assert all(s == tab for s in shown if s) and len(shown) >= 10, shown
        figures = browser.execute_script(SHOWN_FIGURES)
        assert figures and all(natural and width for _, natural, width in figures), figures
        lb.SHOTS.mkdir(parents=True, exist_ok=True)
        browser.execute_script("document.querySelectorAll('.sd-tab-set')[1].scrollIntoView();")
        browser.save_screenshot(str(lb.SHOTS / f"page-{tab}.png"))
    open_page(browser, "index.html")
    assert set(browser.execute_script(SYNCED)) == {"pytorch"}
