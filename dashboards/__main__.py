"""`python -m dashboards [ROOT]`: write the dashboards' JSON and the Prometheus rules."""

from __future__ import annotations

import sys
from pathlib import Path

from .render import write_all

if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
