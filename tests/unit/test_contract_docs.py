"""docs/asyncapi.yaml and docs/events.schema.json are generated from the code; stale docs fail."""

from socialsim.configload import STRATEGY_DIR, load_strategy
from socialsim.kafka.asyncapi import document, event_schemas
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def test_asyncapi_is_current():
    current = document(load_strategy(STRATEGY_DIR / "comms-led.yaml"))
    assert (DOCS / "asyncapi.yaml").read_text() == current, "regenerate: socialsim contracts docs"


def test_event_schemas_are_current():
    assert (DOCS / "events.schema.json").read_text() == event_schemas(), (
        "regenerate: socialsim contracts docs"
    )
    for name in ("Conversation", "TickClosed", "Response", "Broadcast", "TickDone", "DeadLetter"):
        assert f'"{name}"' in event_schemas()
