"""Grafana dashboards and Prometheus rules as code.

`python -m dashboards` regenerates `dashboards/json/*.json` and `prometheus/rules.yml` from the
metric catalogue in `socialsim.telemetry.catalogue`; both are committed, and a test fails when
regenerating would change them. `socialsim dashboards push` uploads the JSON to a Grafana.
"""
