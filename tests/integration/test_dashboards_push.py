"""`socialsim dashboards push` against a local HTTP server that checks what Grafana would be sent.

Grafana itself cannot run here, so this server plays its HTTP API for the calls the push makes
(folder lookup and creation, dashboard upload) and records every request.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from dashboards import push as push_module
from dashboards.render import DASHBOARDS, JSON_DIR, write_all
from socialsim.cli import app


class FakeGrafana(BaseHTTPRequestHandler):
    requests: list[dict] = []
    folders: set[str] = set()

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        req = {
            "method": self.command,
            "path": self.path,
            "auth": self.headers.get("Authorization"),
            "body": body,
        }
        self.requests.append(req)
        return req

    def do_GET(self):  # noqa: N802 (http.server's naming)
        req = self._record()
        if req["auth"] != "Bearer s3cret":
            return self._reply(401, {"message": "Unauthorized"})
        uid = self.path.rsplit("/", 1)[1]
        if self.path.startswith("/api/folders/") and uid in self.folders:
            return self._reply(200, {"uid": uid, "title": "socialsim"})
        return self._reply(404, {"message": "folder not found"})

    def do_POST(self):  # noqa: N802
        req = self._record()
        if req["auth"] != "Bearer s3cret":
            return self._reply(401, {"message": "Unauthorized"})
        if self.path == "/api/folders":
            self.folders.add(req["body"]["uid"])
            return self._reply(200, {"uid": req["body"]["uid"], "title": req["body"]["title"]})
        if self.path == "/api/dashboards/db":
            return self._reply(200, {"status": "success", "uid": req["body"]["dashboard"]["uid"]})
        return self._reply(404, {"message": "not found"})

    def log_message(self, *args):
        pass


@pytest.fixture
def grafana():
    FakeGrafana.requests, FakeGrafana.folders = [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGrafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_push_creates_the_folder_and_uploads_every_dashboard(grafana):
    result = CliRunner().invoke(
        app, ["dashboards", "push", "--url", grafana, "--token", "s3cret", "--datasource-uid", "their-prom"]
    )
    assert result.exit_code == 0, result.output
    reqs = FakeGrafana.requests
    assert [(r["method"], r["path"]) for r in reqs[:2]] == [
        ("GET", "/api/folders/socialsim"),
        ("POST", "/api/folders"),
    ]
    uploads = [r["body"] for r in reqs if r["path"] == "/api/dashboards/db"]
    assert len(uploads) == len(DASHBOARDS)
    assert {u["dashboard"]["uid"] for u in uploads} == {
        "socialsim-strategy-comparison",
        "socialsim-customer-journey",
        "socialsim-operations",
    }
    for u in uploads:
        assert u["overwrite"] is True and u["folderUid"] == "socialsim"
        refs = [t["datasource"]["uid"] for p in u["dashboard"]["panels"] for t in p.get("targets", [])]
        assert refs and set(refs) == {"their-prom"}

    # a second push finds the folder and only uploads
    FakeGrafana.requests.clear()
    assert (
        CliRunner().invoke(app, ["dashboards", "push", "--url", grafana, "--token", "s3cret"]).exit_code == 0
    )
    assert [r["method"] for r in FakeGrafana.requests] == ["GET"] + ["POST"] * len(DASHBOARDS)


def test_a_refused_token_is_a_clear_error(grafana):
    result = CliRunner().invoke(app, ["dashboards", "push", "--url", grafana, "--token", "wrong"])
    assert result.exit_code == 1
    assert "refused" in result.output and "401" in result.output


def test_push_uploads_the_money_dashboards_of_every_currency_made(grafana, tmp_path, monkeypatch):
    written = write_all(tmp_path, ["EUR"])  # as `python -m dashboards --currency EUR` does
    monkeypatch.setattr(push_module, "PACKAGE_JSON", tmp_path / JSON_DIR)
    result = CliRunner().invoke(app, ["dashboards", "push", "--url", grafana, "--token", "s3cret"])
    assert result.exit_code == 0, result.output
    uploads = [r["body"]["dashboard"] for r in FakeGrafana.requests if r["path"] == "/api/dashboards/db"]
    assert len(uploads) == len(written) == len(DASHBOARDS) + 1
    titles = {u["uid"]: u["title"] for u in uploads}
    assert titles["socialsim-strategy-comparison-eur"] == "socialsim / Strategy comparison (EUR)"
    assert titles["socialsim-strategy-comparison"] == "socialsim / Strategy comparison (USD)"
