"""`python -m d2l_ext sweep|fast ...`: the two command lines (d2l_ext/sweep/cli.py, d2l_ext/fast/runner.py)."""

import importlib
import sys

COMMANDS = {"sweep": "d2l_ext.sweep.cli", "fast": "d2l_ext.fast.runner"}
USAGE = "usage: python -m d2l_ext {sweep,fast} [options]   (python -m d2l_ext sweep --help for a command's options)"


def main(argv=None):
    """Run the named command with the rest of the arguments; 2 with the usage for a missing or unknown one."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"{USAGE}\nerror: {'no command' if not argv else f'unknown command {argv[0]!r}'}", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
