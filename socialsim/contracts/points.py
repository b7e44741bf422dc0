"""Experiment points over Kafka: what an explore run asks a worker to compute, and what a worker says.

The topics, the at-least-once hand-out and the idempotent collection are in
`socialsim.kafka.points`; these are only the messages, so their JSON Schema is part of the
published contracts (`docs/events.schema.json`) like every other payload.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class PointTask(msgspec.Struct, frozen=True, kw_only=True):
    """One point to compute: everything a worker needs, so it reads no config file."""

    run: str  # the explore run: its topics' namespace
    experiment: str  # the experiment's name, for people reading logs
    index: int
    seed: int
    values: dict[str, float | int]  # the swept parameters at this point
    scenario: dict[str, Any]  # the fully resolved scenario (the `Scenario` model's JSON)
    # the sha256 of the code that computes the point (socialsim's, its world's and its strategies'
    # sources): a worker running other code would return other numbers, so it refuses the task
    code: str


class PointNote(msgspec.Struct, frozen=True, kw_only=True):
    """What a worker says about a point: working on it, done (with its rows), or failed."""

    run: str
    index: int
    task_sha256: str  # of the task's exact bytes: a result answers one published task
    worker: str
    status: Literal["working", "done", "failed"]
    table: bytes = b""  # done: the point's rows as an Arrow IPC stream
    error: str = ""  # failed: one line
