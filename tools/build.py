"""`python -m tools.build generate|check`: the notebooks and generated code from the chapter, the answer key and the
assignment from their sources, binder/ from the pins."""

import sys

from tools import answer_key, assignment, binder, codegen, notebooks

USAGE = "usage: python -m tools.build generate|check"


def main(argv):
    """Generate everything from notebooks/lr-scheduler.md (and the answer key from its source), or check."""
    if argv == ["generate"]:
        codegen.generate()
        notebooks.generate()
        answer_key.generate()
        assignment.generate()
        binder.generate()
        return 0
    if argv == ["check"]:
        problems = codegen.check() + notebooks.check() + answer_key.check() + assignment.check() + binder.check()
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("Run `make notebooks` to regenerate from notebooks/*.md.", file=sys.stderr)
            return 1
        print("notebooks and d2l_ext's generated code match notebooks/*.md; binder/ matches environment.yml")
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
