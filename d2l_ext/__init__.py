"""Offline, faster helpers for the d2l chapter on learning-rate scheduling.

`from d2l_ext import torch as d2l` (or mxnet, tensorflow) is a drop-in for `from d2l import torch as d2l`.
Importing `d2l_ext` itself loads no deep-learning framework.
"""

__version__ = "0.2.0"


class D2lExtError(Exception):
    """A problem d2l_ext names with its remedy (missing data, a refused setting); commands print it and exit 1."""
