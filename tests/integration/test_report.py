"""The report and the terminal speak the verdict, in the scenario's currency, and a real browser
renders it (headless Chromium from Debian; .ci/run installs it).

docs/architecture.md, Invariants: Measurement never changes behaviour (the verdict only reads
the summary)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image
from typer.testing import CliRunner

from socialsim.cli import app
from tests.conftest import tool

RUN = ["--customers", "300", "--days", "14", "--replications", "3"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    result = CliRunner().invoke(
        app, ["compare", "restaurant-chain", *RUN, "--out", str(out), "--set", "world.currency=EUR"]
    )
    assert result.exit_code == 0, result.output
    (out / "stdout.txt").write_text(result.output, encoding="utf-8")
    return out


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={cwd / 'chromium-profile'}",
    ]
    return subprocess.run(
        [tool("chromium"), *flags, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_terminal_prints_the_table_in_100_columns_then_the_verdict(run_dir: Path):
    text = (run_dir / "stdout.txt").read_text(encoding="utf-8")
    table = text[: text.index("Verdict:")]
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "(money in EUR)" in table and "$" not in table
    assert re.search(r"^Verdict: (\S+ should own social media|inconclusive)", text, re.MULTILINE)


def test_report_opens_with_the_verdict_in_the_scenario_currency(run_dir: Path):
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    verdict = re.search(r'<section id="verdict">(.*?)</section>', page, re.DOTALL)
    assert verdict and "Verdict:" in verdict.group(1)
    assert page.index('id="verdict"') < page.index("Outcomes by arm")
    assert " EUR" in page and " USD" not in page
    assert "world.currency=EUR" in page  # the --set values used are shown
    for arm in json.loads((run_dir / "summary.json").read_text())["arms"]:
        assert f"<h3>{arm}</h3>" in page  # an arm card for every arm
    assert "download='outcomes.csv'" in page and "download='paired.csv'" in page


def test_a_browser_renders_the_verdict(run_dir: Path):
    dom = _chromium("--dump-dom", (run_dir / "report.html").as_uri(), cwd=run_dir)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert re.search(r'<section id="verdict">.*Verdict:', dom.stdout, re.DOTALL)
    shot = _chromium(
        "--window-size=1200,900", "--screenshot=shot.png", (run_dir / "report.html").as_uri(), cwd=run_dir
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    pixels = image.imread(run_dir / "shot.png")
    top = pixels[:400, :, :3]  # heading and verdict box: text on a tinted box, not a blank page
    assert top.std() > 0.05
    assert len(np.unique(top.reshape(-1, 3), axis=0)) > 20
