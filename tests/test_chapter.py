"""The generator follows d2lbook's tab rules and the notebooks and d2l_ext code stay in sync with the chapter."""

import ast
import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import build, chapter, codegen, notebooks

ROOT = Path(__file__).resolve().parent.parent
# SHA-256 of d2l-ja's lr-scheduler.md as this project copied it: the chapter stays the book's, byte for byte
BOOK_CHAPTER_SHA256 = "6f05e51ca81f946bc3d59750569a4611d6791fdcc468b59268d2bebcb01e3070"
FENCE = "```"


def code_block(*lines):
    """A d2lbook code block with the given lines."""
    return "\n".join([FENCE + "{.python .input}", *lines, FENCE])


def sources(text, tab):
    """The (kind, source) cells one tab gets from a snippet."""
    return chapter.tab_cells(chapter.parse(text), tab)


def test_untagged_code_belongs_to_mxnet_only():
    text = code_block("x = 1")
    assert sources(text, "mxnet") == [("code", "x = 1")]
    assert sources(text, "pytorch") == [] and sources(text, "tensorflow") == []


def test_tab_line_is_removed_and_comma_lists_pick_several_tabs():
    text = code_block("#@tab pytorch, tensorflow", "y = 2")
    assert sources(text, "pytorch") == sources(text, "tensorflow") == [("code", "y = 2")]
    assert sources(text, "mxnet") == []


def test_tab_all_goes_to_every_tab():
    text = code_block("#@tab all", "z = 3")
    assert all(sources(text, tab) == [("code", "z = 3")] for tab in chapter.TABS)


def test_begin_tab_text_goes_to_that_tab_only_without_the_directives():
    text = "shared\n\n:begin_tab:`pytorch`\nonly torch\n:end_tab:\n\nafter"
    assert sources(text, "pytorch") == [("markdown", "shared\n\nonly torch\n\nafter")]
    assert sources(text, "mxnet") == [("markdown", "shared\n\n\nafter")]


def test_unknown_tab_names_are_errors_with_the_line():
    with pytest.raises(chapter.ChapterError, match=r"line 2: unknown tab jax"):
        chapter.parse(code_block("#@tab pytorch, jax", "w = 4"))
    with pytest.raises(chapter.ChapterError, match=r"line 1: unknown tab paddle"):
        chapter.parse(":begin_tab:`paddle`\ntext\n:end_tab:")


def test_unclosed_blocks_are_errors():
    with pytest.raises(chapter.ChapterError, match="never closed by ```"):
        chapter.parse(FENCE + "{.python .input}\nx = 1\n")
    with pytest.raises(chapter.ChapterError, match="never closed by :end_tab:"):
        chapter.parse(":begin_tab:`mxnet`\ntext\n")


def test_the_only_code_change_is_the_d2l_import():
    assert chapter.use_d2l_ext("from d2l import torch as d2l\nx = 1") == "from d2l_ext import torch as d2l\nx = 1"


def test_project_chapter_is_the_books_text_byte_for_byte():
    assert hashlib.sha256(chapter.CHAPTER.read_bytes()).hexdigest() == BOOK_CHAPTER_SHA256


@pytest.mark.parametrize("tab", chapter.TABS)
def test_every_chapter_code_line_of_a_tab_is_in_its_notebook_verbatim(tab):
    cells = chapter.read_chapter()
    nb = nbformat.read(notebooks.notebook_path(tab), as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code" and c.id != notebooks.INSTALL_ID]
    wanted = [chapter.use_d2l_ext(c.source) for c in cells if c.kind == "code" and tab in c.tabs]
    assert code == wanted
    assert [c.id for c in nb.cells[:2]] == [notebooks.INTRO_ID, notebooks.INSTALL_ID] and len(code) == 13


def calls_train(source):
    """Whether the code calls a function named `train` anywhere (read by its syntax tree, not the builder's pattern)."""
    tree = ast.parse(chapter.MAGIC.sub("", source))
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "train" for n in ast.walk(tree))


@pytest.mark.parametrize("tab", chapter.TABS)
def test_training_cells_and_only_they_carry_the_ignore_output_tag(tab):
    nb = nbformat.read(notebooks.notebook_path(tab), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [notebooks.IGNORE_OUTPUT_TAG in c.metadata.get("tags", []) for c in code] == [
        calls_train(c.source) for c in code
    ]


def test_a_raw_block_is_a_raw_cell_in_every_tab_between_the_text():
    cells = chapter.parse("Intro\n```{.raw}\n# BEGIN QUESTION\nname: q1\n```\nMore\n")
    want = [("markdown", "Intro"), ("raw", "# BEGIN QUESTION\nname: q1"), ("markdown", "More")]
    assert all(chapter.tab_cells(cells, tab) == want for tab in chapter.TABS)


def test_committed_notebooks_and_generated_code_match_the_chapter():
    assert build.main(["check"]) == 0


def test_check_fails_when_a_notebook_drifts(tmp_path, monkeypatch):
    for tab in chapter.TABS:
        shutil.copy(notebooks.notebook_path(tab), tmp_path)
    monkeypatch.setattr(notebooks, "NOTEBOOK_DIR", tmp_path)
    nb = nbformat.read(notebooks.notebook_path("mxnet"), as_version=4)
    nb.cells[2].source += "\nprint('edited by hand')"
    nbformat.write(nb, notebooks.notebook_path("mxnet"))
    assert notebooks.check() == [f"{notebooks.notebook_path('mxnet')}: cell 2 differs from the chapter"]


def test_check_fails_when_generated_code_drifts(monkeypatch):
    cells = chapter.read_chapter()
    edited = [
        chapter.Cell(c.kind, c.source.replace("pow(num_update + 1.0, -0.5)", "num_update ** -0.5"), c.tabs, c.line)
        for c in cells
    ]
    monkeypatch.setattr(chapter, "read_chapter", lambda: edited)
    assert codegen.check() == ["d2l_ext/schedulers.py: generated section differs from notebooks/lr-scheduler.md"]


def test_regenerating_keeps_outputs_of_unchanged_cells_only():
    cells = chapter.read_chapter()
    old = notebooks.build("pytorch", cells)
    for cell in old.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text=f"ran {cell.source[:10]}")]
    kept, changed = [i for i, c in enumerate(old.cells) if c.cell_type == "code"][:2]
    old.cells[changed].source = "changed()"
    new = notebooks.build("pytorch", cells, old)
    assert new.cells[kept].outputs == old.cells[kept].outputs != []
    assert new.cells[changed].outputs == []


def test_generated_section_is_the_chapter_definition_verbatim():
    cells = chapter.read_chapter()
    for module, (tab, names) in codegen.TARGETS.items():
        text = (codegen.PACKAGE / module).read_text(encoding="utf-8")
        for name in names:
            assert codegen.extract(cells, tab, name) in text
