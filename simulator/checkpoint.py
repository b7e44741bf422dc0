"""Freeze the worlds of a lockstep at a tick boundary for a checkpoint, and thaw them into a fresh run.

Why pickle: an arm's world is numpy arrays (customers, audience), dicts and lists (pending
conversations, the recorder's tallies, series rows, unwritten event rows) and small objects whose
fields other modules add as the model grows. A hand-written schema would have to name every one
of them and would silently drop the next field someone adds; pickle takes the whole object graph,
so a restored world is the same object, field for field, and numpy arrays travel as raw buffers
(protocol 5). Pickle runs code on load, so a checkpoint is only ever read from the run folder
the user names, after its identity (a separate JSON file) has matched the run being resumed.

What is *not* in the bytes: everything a replication shares read-only (population, network,
candidate conversations, the counter-based random numbers, the world's config). Those are pure
functions of (config, seed, replication), so they are drawn again on resume and the frozen worlds
point at them through pickle's persistent ids, which also keeps the bytes small. There is no
sequential random generator inside a world to save: every draw after the shared ones is a
counter-based hash (`simulator.rng.Counter`), a function of its indices alone.

A recorder's lists (series rows, reply delays) are pickled apart from the object graph, by the C
pickler without a Python callback per element, and only what was appended since the previous
checkpoint (`Freezer`); event rows not yet written are handed to the spool before a freeze.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialsim.contracts.world import World

from .recorder import Recorder, RowSink
from .world import ArmWorld, Shared

Key = tuple[int, str]  # (replication, arm)
Ref = tuple[str, int, str]  # (kind, replication, detail): a persistent id
Frozen = dict[Key, Any]  # what a checkpoint holds per world: the world, or (world, policy) for a baseline
PROTOCOL = 5  # numpy arrays as out-of-band-capable buffers, Python 3.8+

_SHARED_PARTS = ("population", "network", "candidates", "counter")


def _shared_refs(world: World, shared: dict[int, Shared]) -> dict[int, Ref]:
    """id(object) -> persistent id, for everything a replication shares read-only: each part of
    `Shared`, and the arrays and objects they hold, two levels down (e.g. the network's follower
    lists), named by dotted path."""
    refs: dict[int, Ref] = {id(world): ("world", -1, "")}
    for name, value in vars(world).items():
        if hasattr(type(value), "model_fields"):  # a sub-model of the world's config, e.g. reactions
            refs[id(value)] = ("world", -1, name)
    for rep, sh in shared.items():
        refs[id(sh)] = ("shared", rep, "")
        for part in _SHARED_PARTS:
            _register(getattr(sh, part), part, rep, "", refs, depth=2)
    return refs


def _register(obj: object, part: str, rep: int, path: str, refs: dict[int, Ref], depth: int) -> None:
    refs[id(obj)] = (part, rep, path)
    if depth == 0 or isinstance(obj, np.ndarray):
        return
    for attr, value in getattr(obj, "__dict__", {}).items():
        if isinstance(value, np.ndarray) or hasattr(value, "__dict__"):
            _register(value, part, rep, f"{path}.{attr}" if path else attr, refs, depth - 1)


def _resolve(ref: Ref, world: World, shared: dict[int, Shared], sinks: dict[Key, RowSink | None]) -> object:
    kind, rep, detail = ref
    if kind == "world":
        return getattr(world, detail) if detail else world
    if kind == "sink":
        return sinks[(rep, detail)]
    if kind == "shared":
        return shared[rep]
    found: object = getattr(shared[rep], kind)
    for attr in detail.split(".") if detail else ():
        found = getattr(found, attr)
    return found


def _recorders(objects: Iterable[object]) -> list[Recorder]:
    found = []
    for obj in objects:
        if isinstance(obj, ArmWorld):
            found.append(obj.rec)
        elif isinstance(obj, tuple):
            found.extend(_recorders(obj))
    return found


class _Pickler(pickle.Pickler):
    def __init__(
        self, file: io.BytesIO, refs: dict[int, Ref], buffers: Callable[[pickle.PickleBuffer], None]
    ):
        super().__init__(file, protocol=PROTOCOL, buffer_callback=buffers)
        self._refs = refs

    def persistent_id(self, obj: object) -> Ref | None:
        return self._refs.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, load: Callable[[Ref], object], buffers: list[bytes | bytearray]):
        super().__init__(file, buffers=buffers)
        self._load = load

    def persistent_load(self, pid: Ref) -> object:
        kind, rep, detail = pid
        return self._load((str(kind), int(rep), str(detail)))


EXPIRED = "frozen worlds expired: save (pickle) a freeze before its lockstep goes on"


@dataclass
class FrozenWorlds:
    """Frozen worlds: the pickle of their object graph with every numpy array left out of band
    (protocol 5), and those arrays' buffers beside it, and the recorders' lists (`bulk`).

    Fresh from `Freezer.freeze`, the buffers are the live arrays themselves, not copies: a freeze
    would otherwise hold a second copy of every world (the peak of a run's memory), and pickling
    this, as the checkpoint's save does at once, writes each array straight from the world to the
    file. So it is good only until its lockstep goes on: then `Freezer.expire` drops the buffers,
    and saving or thawing it fails loudly rather than holding a later tick's numbers. Pickled and
    loaded again, it owns its bytes."""

    graph: bytes
    bulk: list[list[bytes]]
    buffers: list[pickle.PickleBuffer | bytes | bytearray] | None

    def __getstate__(self) -> dict[str, Any]:
        if self.buffers is None:
            raise ValueError(EXPIRED)
        return dict(vars(self))


@dataclass
class _Grown:
    """What a freezer already pickled of one list that only grows (series rows, reply delays)."""

    items: list[Any]  # the list itself: its identity is the cache key's meaning
    count: int  # items pickled so far
    last: object  # the last of them, to notice a list that was changed rather than grown
    chunks: list[bytes]


class Freezer:
    """Freezes one lockstep's worlds, again at every checkpoint. A recorder's lists only grow
    (series rows, reply delays), so each freeze pickles only what was appended since the one
    before and reuses the bytes of the rest: a day's checkpoint costs that day's rows, not every
    row since the start."""

    def __init__(self, world: World, shared: dict[int, Shared]):
        self._shared = _shared_refs(world, shared)
        self._grown: dict[int, _Grown] = {}
        self._live: FrozenWorlds | None = None  # the latest freeze, while it views the worlds

    def _chunks(self, items: list[Any]) -> list[bytes]:
        if not items:  # not kept: an emptied list is replaced, and keeping it would keep it alive
            return []
        seen = self._grown.get(id(items))
        if (
            seen is None
            or seen.items is not items
            or len(items) < seen.count
            or (seen.count and items[seen.count - 1] is not seen.last)
        ):
            seen = self._grown[id(items)] = _Grown(items, 0, None, [])
        if len(items) > seen.count:
            seen.chunks.append(pickle.dumps(items[seen.count :], protocol=PROTOCOL))
            seen.count, seen.last = len(items), items[-1]
        return list(seen.chunks)

    def freeze(self, worlds: Frozen) -> FrozenWorlds:
        """`worlds`: each key's ArmWorld, or (ArmWorld, baseline policy). What `thaw` turns back;
        it views the worlds' arrays until `expire` (see `FrozenWorlds`)."""
        self.expire()
        refs = dict(self._shared)
        bulk: list[list[bytes]] = []
        for rec in _recorders(worlds.values()):
            if rec.sink is not None:
                refs[id(rec.sink)] = ("sink", rec.replication, rec.arm)
            for name, value in vars(rec).items():
                if isinstance(value, list):
                    refs[id(value)] = ("bulk", len(bulk), name)
                    bulk.append(self._chunks(value))
        graph = io.BytesIO()
        buffers: list[pickle.PickleBuffer] = []
        _Pickler(graph, refs, buffers.append).dump(worlds)
        self._live = FrozenWorlds(graph.getvalue(), bulk, list(buffers))
        return self._live

    def expire(self) -> None:
        """The lockstep goes on: the latest freeze no longer views the worlds (saved or not)."""
        if self._live is not None:
            self._live.buffers = None
            self._live = None


def _owned(buffer: pickle.PickleBuffer | bytes | bytearray) -> bytes | bytearray:
    """A buffer's bytes, copied if it still views a live array (a freeze thawed without being
    saved), so a thawed world never shares an array with the world it was frozen from."""
    if isinstance(buffer, bytes | bytearray):
        return buffer
    view = buffer.raw()
    return bytes(view) if view.readonly else bytearray(view)


def thaw(
    frozen: FrozenWorlds, world: World, shared: dict[int, Shared], sinks: dict[Key, RowSink | None]
) -> Frozen:
    """The worlds `freeze` took, pointing at `shared` (drawn again) and writing to `sinks`."""
    if frozen.buffers is None:
        raise ValueError(EXPIRED)
    bulk = frozen.bulk

    def load(ref: Ref) -> object:
        if ref[0] == "bulk":
            return [item for chunk in bulk[ref[1]] for item in pickle.loads(chunk)]  # noqa: S301
        return _resolve(ref, world, shared, sinks)

    buffers = [_owned(b) for b in frozen.buffers]
    worlds: Frozen = _Unpickler(io.BytesIO(frozen.graph), load, buffers).load()
    return worlds
