"""What the three drop-ins (d2l_ext.mxnet, .torch, .tensorflow) do alike, before their framework loads and after."""

import sys

from d2l_ext import compat, cpus, determinism, figures


def before_framework():
    """d2l must be installed; threads from the CPU share, set before the framework starts its thread pools."""
    compat.require_d2l()
    cpus.configure()


def after_d2l(module_name, d2l_module, seed_framework):
    """Seed Python, NumPy and the framework; figures carry their plotted numbers and a PNG beside the SVG."""
    determinism.seed_everything(seed_framework)
    figures.register()
    figures.draw_png_too(d2l_module, sys.modules[module_name])
