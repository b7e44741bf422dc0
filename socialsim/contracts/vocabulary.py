"""The fixed vocabularies every other module shares (small, closed sets: safe as metric labels)."""

from typing import Literal

Intent = Literal["question", "complaint", "praise", "purchase_intent", "chatter"]
INTENTS: tuple[Intent, ...] = ("question", "complaint", "praise", "purchase_intent", "chatter")

Department = Literal["marketing", "comms", "support"]
DEPARTMENTS: tuple[Department, ...] = ("marketing", "comms", "support")

Action = Literal["resolve", "answer", "de_escalate", "offer", "acknowledge", "none"]
ACTIONS: tuple[Action, ...] = ("resolve", "answer", "de_escalate", "offer", "acknowledge", "none")

Tone = Literal["conversational", "neutral", "promotional"]
TONES: tuple[Tone, ...] = ("conversational", "neutral", "promotional")

Need = Literal["resolve", "answer", "de_escalate", "convert", "acknowledge"]
NEEDS: tuple[Need, ...] = ("resolve", "answer", "de_escalate", "convert", "acknowledge")

TopicKind = Literal["account", "product", "offer", "general"]
TOPIC_KINDS: tuple[TopicKind, ...] = ("account", "product", "offer", "general")

# What each department is able to do. This is the organisational fact the seeds argue from:
# only support can resolve an account problem, marketing can make offers, comms answers and
# de-escalates. It is deliberately not a parameter: a strategy chooses who acts, not what a
# department is able to do.
CAPABILITIES: dict[Department, frozenset[Action]] = {
    "marketing": frozenset({"answer", "offer", "acknowledge"}),
    "comms": frozenset({"answer", "de_escalate", "acknowledge"}),
    "support": frozenset({"answer", "resolve", "de_escalate", "acknowledge"}),
}

# The action that fully meets each need; a department without it falls back or hands off.
IDEAL_ACTION: dict[Need, Action] = {
    "resolve": "resolve",
    "answer": "answer",
    "de_escalate": "de_escalate",
    "convert": "offer",
    "acknowledge": "acknowledge",
}


def need_of(intent: Intent, topic_kind: TopicKind) -> Need:
    """What a conversation needs from the brand: account problems need support to resolve them."""
    if intent in ("question", "complaint") and topic_kind == "account":
        return "resolve"
    if intent == "question":
        return "answer"
    if intent == "complaint":
        return "de_escalate"
    if intent == "purchase_intent":
        return "convert"
    return "acknowledge"


HELP_SEEKING: frozenset[Intent] = frozenset({"question", "complaint", "purchase_intent"})
"""Intents where "did we help this person?" is a meaningful question."""

# What a department does when it lacks the ideal action and cannot hand off, best first.
FALLBACK: dict[Need, tuple[Action, ...]] = {
    "resolve": ("resolve", "de_escalate", "answer", "acknowledge"),
    "answer": ("answer", "resolve", "de_escalate", "acknowledge"),
    "de_escalate": ("de_escalate", "resolve", "answer", "acknowledge"),
    "convert": ("offer", "answer", "acknowledge"),
    "acknowledge": ("acknowledge", "answer"),
}
