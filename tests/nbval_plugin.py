"""A pytest plugin (loaded by pyproject.toml's addopts): the output payloads nbval does not compare."""

# Figures are compared by their text/plain form (`<Figure size ... with 1 Axes>`); their SVG/PNG/HTML
# renderings differ from run to run in ids and metadata, and stderr holds framework log lines.
NBVAL_SKIP = ("image/svg+xml", "image/png", "text/html", "application/javascript", "stderr")


def pytest_collectstart(collector):
    """Tell nbval which output payloads not to compare."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += NBVAL_SKIP
