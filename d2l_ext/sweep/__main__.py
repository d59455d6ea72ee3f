"""`python -m d2l_ext.sweep`, the same as `python -m d2l_ext sweep` (d2l_ext/sweep/cli.py)."""

import sys

from d2l_ext.sweep.cli import main

sys.exit(main())
