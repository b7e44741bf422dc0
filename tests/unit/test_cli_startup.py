"""A strategy service or an experiment worker starts without importing what only other commands
use: `socialsim.cli.main` registers only the named command's module (socialsim/cli/__init__.py),
and `service` is wired by `socialsim.service_root`, not the whole composition root. A process
is started per strategy for every Kafka comparison and again after a crash, so seconds of
imports there are paid over and over."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Libraries a service process never needs: charts, full statistics, tables, experiment models.
HEAVY = ("matplotlib", "scipy.stats", "pandas", "sklearn", "optuna", "SALib", "socialsim.bootstrap")

PROBE = """
import sys
from socialsim.cli import main
sys.argv = ["socialsim", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LOADED", " ".join(m for m in {heavy!r} if m in sys.modules))
"""


def loaded(*argv: str) -> set[str]:
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED"))
    return set(line.split()[1:])


def test_a_service_process_imports_none_of_the_heavy_libraries() -> None:
    assert loaded("service", "--help") == set()


@pytest.mark.parametrize("argv", [("--help",), ("compare", "--help")])
def test_the_probe_sees_heavy_imports_where_they_belong(argv: tuple[str, ...]) -> None:
    """The probe itself can fail: the full help and `compare` do load the report's libraries."""
    assert "matplotlib" in loaded(*argv)
