"""The sha256 of the code that computes a run: what two processes, or a process and a file written
earlier, must share for their numbers and pickled state to mean the same thing.

Two users: an explore point task carries it (`socialsim.explore.execute`), so a worker running other
code refuses the task rather than return other numbers; a run's checkpoint carries it
(`socialsim.checkpoint`), so a resume with other code is refused rather than unpickle an object graph
whose classes have changed under it. A version number would not do: it changes far less often than
what gets computed or pickled.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

# The packages whose sources decide a run's numbers and state: ours, the world's, the strategies'.
CODE_PACKAGES = ("socialsim", "simulator", "services")
# [hex digits] of a code digest shown in a refusal: enough to tell two versions apart by eye
SHOWN_DIGEST_HEX = 12


@functools.cache
def code_digest() -> str:
    """The sha256 of every Python source of CODE_PACKAGES as installed here (each file's path and
    bytes, in path order), read once per process: two processes whose digests agree compute
    byte-identical results."""
    sha = hashlib.sha256()
    for package in CODE_PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations, package
        root = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(root.rglob("*.py")):
            source = path.read_bytes()
            sha.update(f"{package}/{path.relative_to(root).as_posix()}\0{len(source)}\0".encode())
            sha.update(source)
    return sha.hexdigest()


def shown(digest: str | None) -> str:
    """A digest as a refusal shows it: its first SHOWN_DIGEST_HEX hex digits."""
    return f"{digest[:SHOWN_DIGEST_HEX]}..." if digest else "(none recorded)"
