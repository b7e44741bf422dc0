"""The simulated world: customers, prospects, their follower network and how they react."""
