"""`socialsim explore` on a tiny world: the decision does not depend on the worker count, and a
sweep killed mid-run resumes with the same command, reruns no finished point and ends with the
decision an uninterrupted sweep gives."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import tiny_experiment

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--customers", "300", "--days", "10"]
POINTS = 6


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_experiment(tmp_path_factory.mktemp("exp"), POINTS)


def _command(experiment: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "socialsim.cli", "explore", str(experiment), *TINY] + [
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]


def _run(experiment: Path, out: Path, workers: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        _command(experiment, out, workers), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def one_worker(experiment: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("w1")
    _run(experiment, out, 1)
    return out


def test_same_decision_whatever_the_worker_count(experiment: Path, one_worker: Path, tmp_path: Path) -> None:
    _run(experiment, tmp_path, 2)
    first = (one_worker / "decision.json").read_bytes()
    assert first == (tmp_path / "decision.json").read_bytes()
    results = pd.read_parquet(one_worker / "results.parquet")
    assert results["point"].nunique() == POINTS
    assert len(results) == POINTS * 3 * 2  # points x arms x replications
    assert (one_worker / "experiment.html").read_text().count("data:image/png;base64,") >= 2


def test_killed_sweep_resumes_without_rerunning_finished_points(
    experiment: Path, one_worker: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _command(experiment, tmp_path, 1),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    points = tmp_path / "points"
    deadline = time.monotonic() + 300
    while len(list(points.glob("point-*.parquet"))) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep finished before it could be killed"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in points.glob("point-*.parquet")}
    assert 2 <= len(finished) < POINTS
    assert not (tmp_path / "decision.json").exists()

    resumed = _run(experiment, tmp_path, 1)
    assert f"resuming: {len(finished)} of {POINTS} points already done" in resumed.stderr
    after = {p.name: p.stat().st_mtime_ns for p in points.glob("point-*.parquet")}
    assert len(after) == POINTS
    assert all(after[name] == mtime for name, mtime in finished.items())  # not run again
    assert (tmp_path / "decision.json").read_bytes() == (one_worker / "decision.json").read_bytes()


def test_a_folder_of_another_experiment_is_refused(
    experiment: Path, one_worker: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    spec = yaml.safe_load(experiment.read_text())
    spec["seed"] = 4
    other.write_text(yaml.safe_dump(spec))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        _command(other, one_worker, 1), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "holds the points of another experiment" in done.stderr
    assert "Traceback" not in done.stderr


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid`, from /proc (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_workers_of_a_killed_sweep_stop_too(experiment: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _command(experiment, tmp_path, 2),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not list((tmp_path / "points").glob("point-*.parquet")) and time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep finished before it could be killed"
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()]
    for w in alive:  # do not leave them behind if the test fails
        os.kill(w, signal.SIGKILL)
    assert not alive, "workers kept simulating after their sweep was killed"


# The first point that lands sends SIGTERM from a finalizer, where Python drops the handler's
# KeyboardInterrupt ("Exception ignored in ..."): as a real SIGTERM can when it lands in a fork hook
# while the worker processes start, or in a temporary folder's cleanup.
DROPPED_STOP = """
import os, signal, sys
from socialsim.cli import main
from socialsim.explore.progress import SweepProgress

class SignalsWhenFreed:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)

point = SweepProgress.point

def point_then_sigterm(self, index):
    SignalsWhenFreed()  # freed at once
    point(self, index)

SweepProgress.point = point_then_sigterm
sys.argv[1:] = sys.argv[2:]
main()
"""


def test_a_sigterm_python_drops_still_stops_the_sweep(experiment: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", DROPPED_STOP, *_command(experiment, tmp_path, 1)[2:]]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 130, done.stderr[-2000:]
    stopped = "interrupted: finished points are kept; run the same command to resume"
    assert done.stderr.splitlines() == [stopped]
    assert len(list((tmp_path / "points").glob("point-*.parquet"))) < POINTS
