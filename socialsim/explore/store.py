"""Results on disk as they arrive: one parquet file per finished point, so a sweep that dies
loses only the points in flight, and nothing holds the whole sweep in memory while it runs.

A store is tied to one design (the manifest records the experiment, seed and design matrix);
resuming into a folder made for another design is refused instead of mixing two experiments.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from socialsim.configerrors import ConfigError

MANIFEST = "manifest.json"


def design_fingerprint(identity: dict[str, Any], design: np.ndarray) -> str:
    """Hash of what the points are: same fingerprint, same points, safe to resume."""
    h = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    h.update(np.ascontiguousarray(design, dtype=np.float64).tobytes())
    return h.hexdigest()


class PointStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self.points = folder / "points"

    def open(self, fingerprint: str, identity: dict[str, Any]) -> None:
        """Create the store, or check an existing one holds this very design."""
        self.points.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / MANIFEST
        if manifest.is_file():
            found = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
            if found != fingerprint:
                raise ConfigError(
                    [
                        f"{self.folder}: holds the points of another experiment, seed, design or run flags; "
                        "use another --out (or delete the folder) to start this one"
                    ]
                )
            return
        body = {"fingerprint": fingerprint, **identity}
        manifest.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def _file(self, index: int) -> Path:
        return self.points / f"point-{index:06d}.parquet"

    def done(self) -> set[int]:
        """Indices of finished points (a half-written file never has the final name)."""
        return {int(p.stem.split("-")[1]) for p in self.points.glob("point-*.parquet")}

    def write(self, index: int, table: pa.Table) -> None:
        """Write atomically: a kill mid-write leaves a temporary file, never a truncated point."""
        tmp = self.points / f".point-{index:06d}.{os.getpid()}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, self._file(index))

    def load(self) -> pd.DataFrame:
        """Every finished point, sorted by point, arm order and replication: the same frame
        whatever order the points finished in."""
        files = sorted(self.points.glob("point-*.parquet"))
        if not files:
            return pd.DataFrame()
        frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
        ordered: pd.DataFrame = frame.sort_values(["point", "arm_index", "replication"], kind="stable")
        return ordered.reset_index(drop=True)
