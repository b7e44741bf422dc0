"""Upload the committed dashboards to an existing Grafana through its HTTP API.

Uses `grafana-client`, the maintained fork of the `grafana-api` package (same `GrafanaApi`
interface; `grafana-api` has had no release since 2020). Dashboards land in one folder and
overwrite earlier versions with the same uid, so pushing again updates them in place. Every file
in dashboards/json goes, so money dashboards made for another currency (`python -m dashboards
--currency EUR`) go too.
"""

from __future__ import annotations

import json
from pathlib import Path

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from .render import JSON_DIR

PACKAGE_JSON = Path(__file__).parent / JSON_DIR.name
FOLDER_UID = "socialsim"

Json = dict[str, "Json"] | list["Json"] | str | int | float | bool | None


class PushError(RuntimeError):
    pass


def with_datasource(node: Json, uid: str) -> Json:
    """The dashboard with every Prometheus datasource reference pointing at `uid`."""
    if isinstance(node, dict):
        if node.get("type") == "prometheus" and "uid" in node:
            return {**node, "uid": uid}
        return {k: with_datasource(v, uid) for k, v in node.items()}
    if isinstance(node, list):
        return [with_datasource(v, uid) for v in node]
    return node


def push(url: str, token: str, folder: str = "socialsim", datasource_uid: str | None = None) -> list[str]:
    """Create the folder if needed and upload every dashboard; returns the uids pushed.

    `datasource_uid` re-points the panels at that Grafana's Prometheus datasource (the committed
    dashboards use the uid docker-compose provisions)."""
    api = GrafanaApi.from_url(url, credential=token)
    try:
        try:
            api.folder.get_folder(FOLDER_UID)
        except GrafanaClientError as exc:
            if exc.status_code != 404:
                raise
            api.folder.create_folder(folder, uid=FOLDER_UID)
        pushed = []
        for path in sorted(PACKAGE_JSON.glob("*.json")):
            board = json.loads(path.read_text(encoding="utf-8"))
            if datasource_uid:
                board = with_datasource(board, datasource_uid)
            api.dashboard.update_dashboard(
                {
                    "dashboard": board,
                    "folderUid": FOLDER_UID,
                    "overwrite": True,
                    "message": "socialsim dashboards push",
                }
            )
            pushed.append(board["uid"])
        return pushed
    except GrafanaException as exc:
        raise PushError(
            f"Grafana at {url} refused the upload: HTTP {exc.status_code} {exc.message}"
        ) from None
    except OSError as exc:
        raise PushError(f"cannot reach Grafana at {url}: {exc}") from None
