"""The tests, a package: Colab's pytest (8.4) cannot load `-p tests.nbval_plugin` (pyproject.toml) from a namespace
package, only from a regular one (pytest 9 can from either)."""
