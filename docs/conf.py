"""Sphinx's settings for the chapter's page (`make html`, tools/page.py): sources generated into build/page/."""

from pathlib import Path

BUILD = Path(__file__).resolve().parent.parent / "build"

project = "学習率スケジューリング"
author = "Dive into Deep Learning (Japanese edition); d2l_ext"
language = "ja"
extensions = ["myst_nb", "sphinx_design"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_update_mathjax = False  # its ignore classes are for MathJax 3; ours is MathJax 2, configured below
nb_execution_mode = "off"  # the committed notebooks' outputs, as executed (`make run`, `make exercises`)
nb_mime_priority_overrides = [("html", "application/vnd.d2l-ext.series+json", None)]  # our plotted numbers: not shown
suppress_warnings = ["mystnb.unknown_mime_type"]
html_theme = "alabaster"
html_theme_options = {"font_family": '"Noto Sans CJK JP", "Noto Sans JP", sans-serif', "page_width": "1100px"}
html_title = project
html_static_path = ["_static", str(BUILD / "page-static")]  # page.css; MathJax, copied by tools/page.py from Debian
html_css_files = ["page.css"]
html_show_sourcelink = False
html_copy_source = False
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_SVG-full"  # MathJax 2, served from _static: no network
mathjax_options = {"defer": "defer"}  # not Sphinx's async for MathJax 2: it typesets before a long page is parsed
# Debian's combined configuration preloads these without selecting them: named here, with Sphinx's delimiters
mathjax2_config = {
    "jax": ["input/TeX", "output/SVG"],
    "extensions": ["tex2jax.js", "MathMenu.js", "MathZoom.js"],
    "TeX": {"extensions": ["AMSmath.js", "AMSsymbols.js", "noErrors.js", "noUndefined.js"]},
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True},
    "SVG": {"font": "TeX"},
}
