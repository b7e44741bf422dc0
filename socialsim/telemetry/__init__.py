"""Prometheus metrics: measurement kept apart from the model, read from snapshots by collectors.

The world and the policies import no metrics library. `readings` turns the worlds into plain
numbers at most once per interval of wall time, `meter` does the same for policies, and the
collectors here expose those numbers on an injected `CollectorRegistry`.
"""
