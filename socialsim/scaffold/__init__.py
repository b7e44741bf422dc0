"""Scenario scaffolding: company templates, the plausible range of every number they write, and a
writer that puts unit, range and source beside each number (`socialsim init`)."""
