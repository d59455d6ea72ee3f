"""`python -m tools.page`: the chapter as one web page, as d2l.ai shows it, built offline into build/html/.

From notebooks/lr-scheduler.md and the three committed, executed notebooks (nothing re-runs): the chapter's text
once, each code cell with its outputs under MXNet / PyTorch / TensorFlow tabs (sphinx-design tab sets in one sync
group, so that one click switches every tab on the page and the choice is remembered), the answer key and the
assignment as further pages (myst-nb renders their stored outputs), math by Debian's MathJax served from the build,
launch links (class JupyterHub through nbgitpuller, Binder, Colab) from the one repository address. The MyST
sources go to build/page/, docs/conf.py holds Sphinx's settings.
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import quote, urlencode

import nbformat

from tools import chapter, notebooks

ROOT = chapter.CHAPTER.parent.parent
SOURCES, STATIC, HTML = ROOT / "build" / "page", ROOT / "build" / "page-static", ROOT / "build" / "html"
CONF_DIR = ROOT / "docs"
MATHJAX = Path("/usr/share/javascript/mathjax")  # Debian's libjs-mathjax (MathJax 2.7)
# what the page's MathJax loads: the one combined TeX-to-SVG configuration, its SVG output's TeX font, Japanese menus
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_SVG-full.js", "jax/input/TeX", "jax/element", "extensions",
                 "jax/output/SVG/jax.js", "jax/output/SVG/config.js", "jax/output/SVG/autoload",
                 "jax/output/SVG/fonts/TeX", "localization/ja")  # fmt: skip
TAB_NAMES = {"mxnet": "MXNet", "pytorch": "PyTorch", "tensorflow": "TensorFlow"}
FURTHER_PAGES = ("exercises-pytorch.ipynb", "assignment-pytorch.ipynb")  # the answer key, the assignment
SOURCE_VAR, HUB_VAR = notebooks.SOURCE_VAR, "D2L_EXT_HUB"  # the repository address's override; the class hub
ROLE = re.compile(r":(?P<role>numref|ref|cite|eqref):`(?P<target>[^`]+)`")
LABEL = re.compile(r"^:label:`(?P<label>[^`]+)`\s*$", re.MULTILINE)
KINDS = {"sec": "節", "chap": "章", "fig": "図", "eq": "式", "subsec": "節"}  # d2l's label prefixes, in words
GITHUB = re.compile(r"^(?:git\+)?https://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/#@]+?)(?:\.git)?/?$")
SHOWN = ("image/svg+xml", "image/png", "text/html", "text/markdown", "text/plain")  # an output's first kind found


class PageError(RuntimeError):
    """The page cannot be built as asked; the message names the problem and the remedy."""


def cite(keys):
    """d2l's BibTeX keys as readable text: 'Loshchilov.Hutter.2016' -> 'Loshchilov and Hutter, 2016'."""
    found = []
    for key in keys.split(","):
        *names, year = key.strip().split(".")
        names = [n for n in names if n != "ea"]
        who = " and ".join(names) if len(names) <= 2 else ", ".join(names)
        found.append(f"{who}{' et al.' if key.count('.ea.') else ''}, {year}")
    return "(" + "; ".join(found) + ")"


def readable(text, labels):
    """The chapter's d2lbook roles as MyST: a reference to a label on this page a link, any other readable text."""

    def role(match):
        target = match["target"]
        if match["role"] == "cite":
            return cite(target)
        if target in labels:
            return f"{{ref}}`{target}`"
        kind, _, name = target.partition("_")
        return f"本書の{KINDS.get(kind, '節')}「{name.replace('_', ' ')}」"

    return ROLE.sub(role, text)


def labelled(text):
    """`# Heading` followed by `:label:`x`` as MyST's `(x)=` target before the heading."""
    return re.sub(r"^(?P<heading>#+ .*)\n:label:`(?P<label>[^`]+)`\s*$", r"(\g<label>)=\n\g<heading>", text, flags=re.M)


def fence(text, info=""):
    """A fenced block holding `text` verbatim (longer fences than any run of backticks in it)."""
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def output_markdown(output, name):
    """One stored output as MyST, and the files it needs ({relative path: bytes})."""
    if output.output_type == "stream":
        return fence(output.text, "text"), {}
    data = output.get("data", {})
    kind = next((k for k in SHOWN if k in data), None)
    if kind == "image/svg+xml":
        return f"![図]({name}.svg)", {f"{name}.svg": data[kind].encode("utf-8")}
    if kind == "image/png":
        return f"![図]({name}.png)", {f"{name}.png": base64.b64decode(data[kind])}
    if kind == "text/html":
        return fence(data[kind], "{raw} html"), {}
    if kind == "text/markdown":
        return data[kind], {}
    return (fence(data[kind], "text"), {}) if kind else ("", {})


def executed_cells(tab):
    """The code cells of a tab's committed notebook after its install cell, in order."""
    nb = notebooks.read(notebooks.notebook_path(tab))
    if nb is None:
        raise PageError(f"{notebooks.notebook_path(tab)}: missing; run `make notebooks` and `make run`")
    return [c for c in nb.cells if c.cell_type == "code" and c.get("id") != notebooks.INSTALL_ID]


def tab_set(pieces):
    """A sphinx-design tab set, one tab a framework in the chapter's order, all in the page's one sync group."""
    items = [
        f":::{{tab-item}} {TAB_NAMES[tab]}\n:sync: {tab}\n\n" + "\n\n".join(pieces[tab]) + "\n:::"
        for tab in chapter.TABS
        if tab in pieces
    ]
    return "::::{tab-set}\n:sync-group: framework\n\n" + "\n\n".join(items) + "\n::::"


def chapter_markdown(links):
    """The chapter page's MyST text and the figure files it needs; PageError where a notebook lags the chapter."""
    cells = chapter.read_chapter()
    labels = {label for cell in cells if cell.kind == "markdown" for label in LABEL.findall(cell.source)}
    executed = {tab: iter(executed_cells(tab)) for tab in chapter.TABS}
    blocks, files, group = [], {}, {}
    for cell in cells:
        if cell.kind == "markdown" and cell.tabs == frozenset(chapter.TABS):
            if cell.source.strip():
                blocks += [tab_set(group)] if group else []
                blocks.append(readable(labelled(cell.source.strip("\n")), labels))
                group = {}
            continue
        for tab in (t for t in chapter.TABS if t in cell.tabs):
            piece = group.setdefault(tab, [])
            if cell.kind == "markdown":
                piece.append(readable(cell.source.strip("\n"), labels))
                continue
            done = next(executed[tab], None)
            if done is None or done.source != chapter.use_d2l_ext(cell.source):
                raise PageError(
                    f"{notebooks.notebook_path(tab).name} does not hold the chapter's code cell of line {cell.line}:"
                    " run `make notebooks` (and `make run` for its outputs)"
                )
            piece.append(fence(done.source, "python"))
            for n, output in enumerate(done.outputs):
                text, needed = output_markdown(output, f"_figures/{tab}-{cell.line}-{n}")
                piece += [text] if text else []
                files |= needed
    blocks += [tab_set(group)] if group else []
    toc = "```{toctree}\n:hidden:\n\n" + "\n".join(Path(p).stem for p in FURTHER_PAGES) + "\n```"
    further = "## 演習\n\n" + "\n".join(f"- {{doc}}`{Path(p).stem}`" for p in FURTHER_PAGES)
    text = "\n\n".join([*blocks, further, toc]) + "\n"
    return re.sub(r"^# .*$", lambda m: f"{m[0]}\n\n{links}", text, count=1, flags=re.M), files  # under the title


def repository():
    """The one repository address: D2L_EXT_SOURCE, else pyproject.toml's [project.urls] Source ("" where none)."""
    urls = tomllib.loads(notebooks.PYPROJECT.read_text(encoding="utf-8"))["project"].get("urls", {})
    return os.environ.get(SOURCE_VAR) or urls.get("Source", "")


NO_LINKS = "起動リンクなし：{why}ため（`pyproject.toml` の `[project.urls] Source` か `{var}`）。"
NO_HUB = "（クラスの JupyterHub へのリンクは `{var}` にその URL を設定すると出ます）"


def launch_links(notebook, address, hub):
    """Markdown links opening `notebook` (a name in notebooks/): the class hub, Binder, Colab; or why there are none."""
    match = GITHUB.match(address)
    if not match:
        why = (
            f"リポジトリのアドレス（{address}）が GitHub のものではない"
            if address
            else "リポジトリの公開アドレスがない"
        )
        return NO_LINKS.format(why=why, var=SOURCE_VAR)
    owner, repo = match["owner"], match["repo"]
    links = []
    if hub:
        web = f"https://github.com/{owner}/{repo}"
        query = urlencode({"repo": web, "branch": "main", "urlpath": f"lab/tree/{repo}/notebooks/{notebook}"})
        links.append(f"[クラスの JupyterHub]({hub.rstrip('/')}/hub/user-redirect/git-pull?{query})")
    binder = f"https://mybinder.org/v2/gh/{owner}/{repo}/main?urlpath={quote(f'lab/tree/notebooks/{notebook}')}"
    links += [
        f"[Binder]({binder})",
        f"[Colab](https://colab.research.google.com/github/{owner}/{repo}/blob/main/notebooks/{notebook})",
    ]
    return " ".join(links) + ("" if hub else NO_HUB.format(var=HUB_VAR))


def chapter_links(address, hub):
    """The chapter page's launch links, one line a framework's notebook."""
    lines = [
        f"- **{TAB_NAMES[tab]}**：{launch_links(notebooks.notebook_path(tab).name, address, hub)}"
        for tab in chapter.TABS
    ]
    return '<div class="d2l-launch">\n\n' + "\n".join(lines) + "\n\n</div>"


def further_page(name, address, hub):
    """A further page's notebook: the committed one, its launch links in a first cell."""
    nb = notebooks.read(notebooks.NOTEBOOK_DIR / name)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(launch_links(name, address, hub)))
    return nb


def copy_mathjax():
    """Debian's MathJax, the parts the page loads, into the static folder; PageError naming the package if absent."""
    if not (MATHJAX / "MathJax.js").exists():
        raise PageError(f"{MATHJAX}/MathJax.js: missing; install Debian's MathJax: apt-get install libjs-mathjax")
    target = STATIC / "mathjax"
    shutil.rmtree(target, ignore_errors=True)
    for part in MATHJAX_PARTS:
        source, copy = MATHJAX / part, target / part
        copy.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source.resolve(), copy)


def write_sources(address, hub):
    """The page's MyST and notebook sources in build/page/."""
    shutil.rmtree(SOURCES, ignore_errors=True)
    text, files = chapter_markdown(chapter_links(address, hub))
    for relative, content in files.items():
        (SOURCES / relative).parent.mkdir(parents=True, exist_ok=True)
        (SOURCES / relative).write_bytes(content)
    (SOURCES / "index.md").write_text(text, encoding="utf-8")
    for name in FURTHER_PAGES:
        nbformat.write(further_page(name, address, hub), SOURCES / name)


def build(out=HTML):
    """Sources, MathJax, then sphinx-build into `out` (warnings are errors); the seconds it took."""
    start = time.monotonic()
    write_sources(repository(), os.environ.get(HUB_VAR, ""))
    copy_mathjax()
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-c", str(CONF_DIR)]
    done = subprocess.run([*command, str(SOURCES), str(out)], capture_output=True, text=True, timeout=600)
    if done.returncode:
        shutil.rmtree(out, ignore_errors=True)
        raise PageError(f"sphinx-build failed:\n{done.stdout}{done.stderr}")
    return time.monotonic() - start


def main():
    """Build the page; its size and time, or one error line."""
    try:
        seconds = build()
    except PageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in HTML.rglob("*") if p.is_file())
    print(f"wrote {HTML.relative_to(ROOT)}/index.html ({size / 1e6:.1f} MB in all, {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
