"""`python -m d2l_ext sweep|fast ...`: the package's command lines (d2l_ext/sweep/cli.py, d2l_ext/fast/runner.py)."""

import importlib
import sys

from d2l_ext import D2lExtError

COMMANDS = {"sweep": "d2l_ext.sweep.cli", "fast": "d2l_ext.fast.runner"}
USAGE = "usage: python -m d2l_ext {sweep,fast} [options]   (python -m d2l_ext sweep --help for a command's options)"


def main(argv=None):
    """Run the named command: 0 when it ran, 1 with one error line for a problem it names, 2 for a bad command line."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"{USAGE}\nerror: {'no command' if not argv else f'unknown command {argv[0]!r}'}", file=sys.stderr)
        return 2
    try:
        importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])
    except D2lExtError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
