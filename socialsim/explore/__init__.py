"""Explore a scenario: sweeps over uncertain assumptions and levers, which owner wins where, regret,
sensitivity, optimisation and break-even. Runs reuse `socialsim.comparison.run` point by point."""
