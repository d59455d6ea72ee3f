"""Copy the chapter's shared definitions into d2l_ext's generated sections, by AST (framework-free)."""

import ast
import builtins
import re
import textwrap
from pathlib import Path

from d2l_ext.atomic import write_atomic
from tools import chapter

PACKAGE = Path(__file__).resolve().parent.parent / "d2l_ext"
# module -> (tab whose code cells hold the definitions, None = any tab; the names to copy, in order)
TARGETS = {
    "schedulers.py": (None, ("SquareRootScheduler", "FactorScheduler", "MultiFactorScheduler", "CosineScheduler")),
    "mxnet.py": ("mxnet", ("train",)),
    "torch.py": ("pytorch", ("train",)),
    "tensorflow.py": ("tensorflow", ("train",)),
    "fast/mxnet.py": ("mxnet", ("net", "loss", "chapter_runs")),
    "fast/pytorch.py": ("pytorch", ("net_fn", "loss", "chapter_runs")),
    "fast/tensorflow.py": ("tensorflow", ("net", "chapter_runs")),
}
# not a definition of the chapter's: the tab's code after its first cell, as one function whose `train` calls tell the
# fast runner each run's settings (its classes left out: d2l_ext.schedulers holds them, generated from the same cells)
RUNS_FUNCTION = "chapter_runs"
RUNS_DOC = '"""The chapter\'s {tab} code after its first cell, its classes left out: one `train(...)` call per run."""'
# `fmt: off/on`: ruff format leaves the chapter's code as the chapter writes it
BEGIN = "# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----\n# fmt: off"
END = "# fmt: on\n# ---- end of generated code ----"
SECTION = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.DOTALL)


class CodegenError(ValueError):
    """A definition is missing, ambiguous, or a module lacks its generated section."""


def defined_name(node):
    """The name a top-level def, class or one-name assignment defines, else None."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def calls_method_of(node, name):
    """Whether a statement is a bare call of a method of `name` (`net.add(...)`, `net.hybridize()`)."""
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == name
    )


def definitions(source):
    """Name -> verbatim text (with the comment lines right above it) of each top-level def, class or
    assignment; an assignment runs on through the statements right after it that call its methods."""
    lines = chapter.MAGIC.sub("", source).split("\n")
    body, found = ast.parse("\n".join(lines)).body, {}
    for i, node in enumerate(body):
        name = defined_name(node)
        if name is None:
            continue
        last = node
        for after in body[i + 1 :] if isinstance(node, ast.Assign) else ():
            if not calls_method_of(after, name):
                break
            last = after
        start = node.lineno - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        found[name] = "\n".join(lines[start : last.end_lineno]).rstrip()
    return found


def free_names(statements):
    """The names the statements read and neither assign nor define (nor Python has), sorted."""
    tree = ast.parse("\n".join(statements))
    nodes = list(ast.walk(tree))
    read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    bound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {n.name for n in nodes if isinstance(n, ast.FunctionDef)} | {
        n.arg for n in nodes if isinstance(n, ast.arg)
    }
    return sorted(read - bound - set(dir(builtins)))


def runs_function(cells, tab):
    """RUNS_FUNCTION's text: the tab's code cells after the first, verbatim less their class definitions, in a
    function taking every name they read from elsewhere as a keyword argument."""
    later = [cell.source for cell in cells if cell.kind == "code" and tab in cell.tabs][1:]
    statements = []
    for source in later:
        lines = chapter.MAGIC.sub("", source).split("\n")
        for node in ast.parse("\n".join(lines)).body:
            if not isinstance(node, ast.ClassDef):
                statements.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
    params = textwrap.fill(", ".join(["*"] + free_names(statements)), 100, subsequent_indent=" " * 4)
    body = textwrap.indent("\n".join([RUNS_DOC.format(tab=tab)] + statements), " " * 4)
    return f"def {RUNS_FUNCTION}(\n    {params}\n):\n{body}"


def extract(cells, tab, name):
    """The one text of `name` in the chapter (in `tab`, or in any tab when tab is None); RUNS_FUNCTION is made."""
    if name == RUNS_FUNCTION:
        return runs_function(cells, tab)
    texts = {
        text
        for cell in cells
        if cell.kind == "code" and (tab is None or tab in cell.tabs)
        for found, text in definitions(cell.source).items()
        if found == name
    }
    if len(texts) != 1:
        where = f"the {tab} tab" if tab else "any tab"
        raise CodegenError(f"{name}: {len(texts)} different definitions in {where} of the chapter, expected 1")
    return texts.pop()


def section(cells, tab, names):
    """The generated section's full text for one module."""
    body = "\n\n\n".join(extract(cells, tab, name) for name in names)
    return f"{BEGIN}\n{body}\n{END}"


def render(module, cells):
    """The module's text with its generated section rewritten from the chapter."""
    path = PACKAGE / module
    text = path.read_text(encoding="utf-8")
    if len(SECTION.findall(text)) != 1:
        raise CodegenError(f"{path}: needs exactly one section between\n{BEGIN}\nand\n{END}")
    tab, names = TARGETS[module]
    return SECTION.sub(lambda _: section(cells, tab, names), text)


def generate():
    """Rewrite every module's generated section."""
    cells = chapter.read_chapter()
    for module in TARGETS:
        path = PACKAGE / module
        text = render(module, cells)
        if text != path.read_text(encoding="utf-8"):
            write_atomic(path, text)
            print(f"wrote d2l_ext/{module}")


def check():
    """Lines naming each module whose generated section drifted from the chapter."""
    cells = chapter.read_chapter()
    return [
        f"d2l_ext/{module}: generated section differs from notebooks/lr-scheduler.md"
        for module in TARGETS
        if render(module, cells) != (PACKAGE / module).read_text(encoding="utf-8")
    ]
