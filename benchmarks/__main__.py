"""``python -m benchmarks``: run every ``benchmarks/*_bench.py`` module's ``main()`` in turn."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def run_all(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.endswith("_bench"))
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    status = 0
    for name in wanted:
        print(f"== benchmarks.{name}", flush=True)
        status |= int(importlib.import_module(f"benchmarks.{name}").main([]) or 0)
    return status


if __name__ == "__main__":
    sys.exit(run_all(sys.argv[1:]))
