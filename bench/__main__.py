"""Run every benchmark: each ``bench/*.py`` module with a ``main()``, in name order.

New benchmarks only need to exist; nothing here lists them. Each runs in its own process so
one benchmark's caches and peak RSS do not colour the next one's numbers.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = 0
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        print(f"== bench.{info.name}", flush=True)
        code = f"import bench.{info.name} as m; m.main()"
        result = subprocess.run([sys.executable, "-c", code], cwd=here.parent, check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
