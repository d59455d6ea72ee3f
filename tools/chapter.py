"""Split a d2lbook chapter into per-framework cells, following d2lbook's tab rules (framework-free)."""

import re
from dataclasses import dataclass
from pathlib import Path

TABS = ("mxnet", "pytorch", "tensorflow")
DEFAULT_TAB = "mxnet"  # a code block with no `#@tab` line belongs to mxnet
D2L_MODULE = {"mxnet": "mxnet", "pytorch": "torch", "tensorflow": "tensorflow"}
CHAPTER = Path(__file__).resolve().parent.parent / "notebooks" / "lr-scheduler.md"

CODE_START = re.compile(r"^```\{\.python \.input\}\s*$")
CODE_END = re.compile(r"^```\s*$")
RAW_START = re.compile(r"^```\{\.raw\}\s*$")  # a raw cell in every tab: the assignment's otter-grader markers
TAB_LINE = re.compile(r"^#@tab\s+(?P<tabs>.+?)\s*$")
BEGIN_TAB = re.compile(r"^:begin_tab:`(?P<tab>[^`]*)`\s*$")
END_TAB = re.compile(r"^:end_tab:\s*$")
MAGIC = re.compile(r"^[%!].*$", re.MULTILINE)  # IPython magics are not Python: blanked before parsing
D2L_IMPORT = re.compile(r"^from d2l import (?P<module>\w+) as d2l$", re.MULTILINE)


class ChapterError(ValueError):
    """The chapter breaks a tab rule; the message gives the line."""


@dataclass(frozen=True)
class Cell:
    """One cell of the chapter: its kind, its verbatim text, the tabs it belongs to, its first line."""

    kind: str  # "markdown", "code" or "raw"
    source: str
    tabs: frozenset
    line: int


def parse_tabs(spec, line):
    """The tabs named by `#@tab` or `:begin_tab:` (`all` = every tab; comma lists allowed)."""
    names = [name.strip() for name in spec.split(",")]
    if names == ["all"]:
        return frozenset(TABS)
    unknown = [name for name in names if name not in TABS]
    if unknown or not names:
        raise ChapterError(
            f"line {line}: unknown tab {', '.join(unknown) or repr(spec)}; known tabs: all, {', '.join(TABS)}"
        )
    return frozenset(names)


def code_cell(lines, line):
    """A code cell from a block's lines: the `#@tab` line picks the tabs and is removed."""
    match = TAB_LINE.match(lines[0]) if lines else None
    tabs = parse_tabs(match["tabs"], line + 1) if match else frozenset([DEFAULT_TAB])
    body = lines[1:] if match else lines
    return Cell("code", "\n".join(body), tabs, line)


def text_cells(lines, first_line):
    """Markdown pieces of one text stretch: shared text, and `:begin_tab:` blocks for one tab each."""
    pieces, current, tabs, start = [], [], frozenset(TABS), first_line
    for offset, text in enumerate(lines):
        number = first_line + offset
        begin, end = BEGIN_TAB.match(text), END_TAB.match(text)
        if begin or end:
            if bool(begin) == (tabs != frozenset(TABS)):
                raise ChapterError(
                    f"line {number}: {'nested :begin_tab:' if begin else ':end_tab: without :begin_tab:'}"
                )
            pieces.append(Cell("markdown", "\n".join(current), tabs, start))
            current, start = [], number + 1
            tabs = parse_tabs(begin["tab"], number) if begin else frozenset(TABS)
        else:
            current.append(text)
    if tabs != frozenset(TABS):
        raise ChapterError(f"line {start - 1}: :begin_tab: is never closed by :end_tab:")
    pieces.append(Cell("markdown", "\n".join(current), tabs, start))
    return pieces


def parse(text):
    """All cells of a chapter, in order, each tagged with its tabs."""
    cells, stretch, stretch_start, block, block_start, raw = [], [], 1, None, 0, False
    for number, line in enumerate(text.split("\n"), start=1):
        if block is None and (CODE_START.match(line) or RAW_START.match(line)):
            cells += text_cells(stretch, stretch_start)
            block, block_start, raw = [], number, bool(RAW_START.match(line))
        elif block is not None and CODE_END.match(line):
            cells.append(
                Cell("raw", "\n".join(block), frozenset(TABS), block_start) if raw else code_cell(block, block_start)
            )
            block, stretch, stretch_start = None, [], number + 1
        elif block is not None:
            block.append(line)
        else:
            stretch.append(line)
    if block is not None:
        raise ChapterError(f"line {block_start}: code block is never closed by ```")
    cells += text_cells(stretch, stretch_start)
    return cells


def use_d2l_ext(source):
    """The one allowed change to the chapter's code: `from d2l import X` -> `from d2l_ext import X`."""
    return D2L_IMPORT.sub(r"from d2l_ext import \g<module> as d2l", source)


def tab_cells(cells, tab):
    """The (kind, source) cells of one tab: its code and raw cells, its text with adjacent markdown merged."""
    if tab not in TABS:
        raise ChapterError(f"unknown tab {tab!r}; known tabs: {', '.join(TABS)}")
    out = []
    for cell in (c for c in cells if tab in c.tabs):
        if cell.kind == "code":
            out.append(("code", use_d2l_ext(cell.source)))
        elif cell.kind == "raw":
            out.append(("raw", cell.source))
        elif out and out[-1][0] == "markdown":
            out[-1] = ("markdown", out[-1][1] + "\n" + cell.source)
        else:
            out.append(("markdown", cell.source))
    return [(kind, src.strip("\n") if kind == "markdown" else src) for kind, src in out if src.strip()]


def read_chapter(path=CHAPTER):
    """The parsed cells of the chapter file."""
    return parse(Path(path).read_text(encoding="utf-8"))
