"""docker-compose.yml stays valid and ships no default secrets. No Docker engine runs here, so
`docker-compose config` (which parses and resolves the file without an engine) is the real check
available; `make up` is run with a stand-in `docker` that only records its arguments."""

import os
import re
import shutil
import stat
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="Debian's docker-compose is not installed (.ci/run installs it)",
)


def _compose_config(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with only the variables given (an empty env file, so a developer's
    own .env cannot change what is checked)."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(env_file), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
    )


def _resolved(tmp_path, **env: str) -> dict:
    result = _compose_config(tmp_path, GRAFANA_ADMIN_PASSWORD="s3cret-for-the-test", **env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


@needs_compose
def test_docker_compose_accepts_the_file(tmp_path):
    assert {
        "kafka",
        "simulator",
        "marketing-led",
        "comms-led",
        "support-led",
        "captain-and-crew",
        "prometheus",
        "grafana",
    } <= set(_resolved(tmp_path))


@needs_compose
def test_compose_refuses_to_start_without_a_grafana_password(tmp_path):
    result = _compose_config(tmp_path)
    assert result.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in result.stderr


@needs_compose
def test_no_port_is_published_on_every_interface_unless_asked(tmp_path):
    published = {name: svc.get("ports", []) for name, svc in _resolved(tmp_path).items()}
    assert set(n for n, ports in published.items() if ports) == {"kafka", "prometheus", "grafana"}
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), (name, port)
    opened = _resolved(tmp_path, BIND_ADDRESS="0.0.0.0")
    assert all(str(p).startswith("0.0.0.0:") for svc in opened.values() for p in svc.get("ports", []))


@needs_compose
def test_grafana_has_no_default_credentials_and_no_anonymous_viewers(tmp_path):
    grafana = _resolved(tmp_path)["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == "s3cret-for-the-test"
    assert str(grafana["GF_AUTH_ANONYMOUS_ENABLED"]).lower() == "false"
    raw = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"GRAFANA_ADMIN_PASSWORD:-", raw)  # no fallback password
    assert "admin/admin" not in raw


@needs_compose
def test_nothing_runs_as_root(tmp_path):
    users = [
        line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("USER ")
    ]
    assert users and users[-1] not in ("root", "0")
    simulator = _resolved(tmp_path)["simulator"]
    assert not simulator["user"].startswith(("0:", "root"))


def test_make_up_writes_a_random_private_password_once(tmp_path):
    """The first `make up` writes a random password to a private .env; later ones keep it."""
    (tmp_path / "Makefile").write_text((ROOT / "Makefile").read_text())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"  # stand-in: no Docker engine here
    fake.write_text('#!/bin/sh\necho "docker $*" >> "$0.calls"\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}

    def make_up() -> dict[str, str]:
        subprocess.run(["make", "-s", "up"], cwd=tmp_path, env=env, check=True, capture_output=True)
        lines = (tmp_path / ".env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    first = make_up()
    assert len(first["GRAFANA_ADMIN_PASSWORD"]) >= 24
    assert first["GRAFANA_ADMIN_PASSWORD"] not in (ROOT / "docker-compose.yml").read_text()
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    assert first["RUNS_UID"] != "0"
    assert make_up() == first
    assert (bin_dir / "docker.calls").read_text().count("docker compose up") == 2
    (tmp_path / ".env").unlink()
    assert make_up()["GRAFANA_ADMIN_PASSWORD"] != first["GRAFANA_ADMIN_PASSWORD"]


def test_compose_prometheus_scrapes_every_service_that_exports_metrics():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    config = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    exporting = {
        name for name, svc in compose["services"].items() if "--metrics-port" in svc.get("command", [])
    }
    assert exporting == {"simulator", "marketing-led", "comms-led", "support-led", "captain-and-crew"}
    assert targets == {f"{name}:9100" for name in exporting}


def test_compose_mounts_and_build_context_exist():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith("./") and host != "./runs":
                assert (ROOT / host).exists(), host
    assert (ROOT / "Dockerfile").is_file()


@needs_compose
def test_every_strategy_service_comes_back_after_it_is_killed(tmp_path):
    """A killed instance is restarted (its streams go to the others meanwhile, see the README's
    "When things fail"); the one-shot simulator job is not."""
    services = _resolved(tmp_path)
    strategies = [name for name, s in services.items() if "--strategy" in s.get("command", [])]
    assert strategies and all(services[n]["restart"] == "unless-stopped" for n in strategies)
    assert services["simulator"]["restart"] == "no"
