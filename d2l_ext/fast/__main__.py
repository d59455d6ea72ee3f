"""`python -m d2l_ext.fast`: the fast runner's command line (d2l_ext/fast/runner.py)."""

from d2l_ext.fast.runner import main

main()
