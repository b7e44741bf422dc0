"""docs/asyncapi.yaml and docs/events.schema.json are generated from the code; stale docs fail."""

from pathlib import Path

from services.asyncapi import document, event_schemas

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_asyncapi_is_current():
    assert (DOCS / "asyncapi.yaml").read_text() == document(), "regenerate: python -m services.asyncapi docs"


def test_event_schemas_are_current():
    assert (DOCS / "events.schema.json").read_text() == event_schemas(), "regenerate: python -m services.asyncapi docs"
    for name in ("Conversation", "TickClosed", "Response", "Broadcast", "TickDone", "DeadLetter"):
        assert f'"{name}"' in event_schemas()
