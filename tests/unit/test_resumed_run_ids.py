"""A resumed Kafka run's topics get a new run id, and its restore finds every earlier run of the
same run id still on a broker (the killed run, and resumes of it killed before their first
checkpoint), never its own and never another run's."""

from __future__ import annotations

from socialsim.kafka.resume import earlier_runs, resumed_run_id


def test_a_resumed_run_finds_the_killed_run_and_earlier_resumes_but_not_itself_or_others():
    base = "shop-20260101T000000Z-0a1b2c3d"
    first, second = resumed_run_id(base), resumed_run_id(base)
    assert first != second and first.startswith(f"{base}-resume-")
    names = [
        f"{base}.support-led.conversations.0",
        f"{base}.snapshots",
        f"{first}.snapshots",
        f"{second}.support-led.responses.3",
        "shop-20260101T000000Z-ffffffff.snapshots",  # another run
        "socialsim.runs",
    ]
    assert earlier_runs(second, names) == sorted([base, first])
    assert earlier_runs(first, [f"{first}.snapshots"]) == []
