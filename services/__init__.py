"""The ownership strategies: pure policies, and (later) the thin services that host them."""
