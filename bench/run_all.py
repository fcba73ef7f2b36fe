"""`make bench`: run every benchmark script and print their tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["sync_throughput.py", "search_latency.py"]


def main() -> int:
    for script in SCRIPTS:
        print(f"\n## {script}\n", flush=True)
        result = subprocess.run([sys.executable, str(HERE / script), *sys.argv[1:]], check=False)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
