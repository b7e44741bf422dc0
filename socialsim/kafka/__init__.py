"""Everything that speaks Kafka: the embedded broker, topic names and administration, the
simulator's transport, the FastStream app that hosts a strategy, and the stack that starts them.

An adapter: it depends on the contracts and the domain, never the other way round.
"""
