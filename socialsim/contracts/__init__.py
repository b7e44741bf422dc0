"""Shared contracts: the typed shapes of config files and of the events that cross the transport.

Everything that crosses a process or file boundary is defined here and nowhere else, so the
simulator, the strategy services and the experiment runner cannot drift apart.
"""
