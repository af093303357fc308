"""A vendor plugin that fails while being imported (the scenario tests' bad plugin)."""

raise RuntimeError("the broken vendor's licence server is unreachable")
