"""Fast training loops for the chapter's five runs, one module per framework (see d2l_ext.run)."""
