"""The fast runner: the chapter's five runs per framework, one training loop module each (`python -m d2l_ext fast`).

Not imported by the drop-ins: `from d2l_ext import torch as d2l` never loads it.
"""
