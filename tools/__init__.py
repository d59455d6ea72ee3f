"""What builds and runs the notebooks: chapter splitting, notebook writing, code generation, execution, pins.

Run from the repository root (`python -m tools.build generate|check`, `python -m tools.execute`); imports
d2l_ext, never the other way round.
"""
