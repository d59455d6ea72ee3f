"""`python -m d2l_ext.fast`, the same as `python -m d2l_ext fast` (d2l_ext/fast/runner.py)."""

from d2l_ext.fast.runner import main

main()
