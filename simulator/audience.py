"""The brand's own account: who follows it, what share of them an organic post reaches, and who
unfollows, and why.

Over-posting and over-promotion cost followers here, not only attention: an unfollower no longer
sees the brand's broadcasts. The reasons are those surveys ask about (Sprout Social Index 2016):
too many promotions, posting too often, irrelevant content, and being ignored.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from socialsim.contracts.world import World

from . import kernels
from .arrays import Bools, Floats, Ids, Int8s, Int64s
from .population import Population

UNFOLLOW_REASONS = ("promotion", "frequency", "irrelevance", "neglect")
PROMOTION, FREQUENCY, IRRELEVANCE, NEGLECT = range(len(UNFOLLOW_REASONS))


class Audience:
    """Followers of the brand's account among the simulated people (a sample of its real followers)."""

    def __init__(self, world: World, pop: Population, held_out: Bools):
        self.r = world.reactions
        self.pop = pop
        self.account_followers = world.population.brand_account_followers
        self.follows: Bools = pop.brand_follower.copy()  # following now (customers only)
        self.unfollowed: Bools = np.zeros(pop.size, dtype=bool)  # never follows again
        self.held_out = held_out  # skipped by every broadcast (a lift study's control group)
        self.seen: Floats = np.zeros(pop.size)  # broadcasts seen, fading like promotion fatigue
        self.initial = max(1, int(self.follows.sum()))

    def organic_share(self) -> float:
        """Share of the account's followers one organic post reaches: organic_reach_share at the
        reference size, falling with the account's size by organic_reach_elasticity (the real
        account shrinks with the simulated sample's unfollows)."""
        r = self.r
        fans = self.account_followers * max(int(self.follows.sum()), 1) / self.initial
        share = r.organic_reach_share * (fans / r.organic_reach_reference_followers) ** (
            -r.organic_reach_elasticity
        )
        return float(min(1.0, share))

    def join(self, nodes: Ids) -> Int64s:
        """New customers who follow the account (those who would and never unfollowed). Returns them."""
        new = nodes[self.pop.follows_when_customer[nodes] & ~self.unfollowed[nodes] & ~self.follows[nodes]]
        self.follows[new] = True
        return new.astype(np.int64)

    def leave(self, nodes: Ids) -> None:
        """People who stopped being customers stop following (not an unfollow: they left the brand)."""
        self.follows[nodes] = False

    def unfollow(self, nodes: Ids, u: Floats, p_by_reason: list[Floats]) -> tuple[Int64s, Int8s]:
        """Each of `nodes` unfollows when its uniform `u` falls under the sum of its reasons'
        chances; the reason is the one whose slice `u` falls in. Returns (unfollowers, reasons)."""
        following = self.follows[nodes]
        cumulative = np.cumsum(np.vstack(p_by_reason), axis=0)
        gone = following & (u < np.minimum(cumulative[-1], 1.0))
        reason = (u[gone][None, :] >= cumulative[:, gone]).sum(axis=0).astype(np.int8)
        left: Int64s = np.asarray(nodes[gone], dtype=np.int64)
        self.follows[left] = False
        self.unfollowed[left] = True
        return left, reason

    def after_responses(
        self, node: Ids, annoyed: Bools, neglected: Bools, fatigue: Floats, u: Callable[[], Floats]
    ) -> tuple[Int64s, Int8s]:
        """Unfollows after a tick's responses: an unsolicited pitch is a promotion, a question or
        complaint left unanswered is neglect. `fatigue` is everyone's promotion fatigue now (by
        person); `u` gives the responses' unfollow uniforms, drawn only when someone has a reason
        to leave. Compiled (`kernels.unfollows_after`): a tick has a few dozen responses."""
        if not (annoyed.any() or neglected.any()):  # no reason to leave: every chance is 0
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8)
        return kernels.unfollows_after(
            (node, annoyed, neglected, u()),
            fatigue,
            (self.r.unfollow_per_promotion, self.r.unfollow_after_neglect),
            (self.follows, self.unfollowed),
        )

    def end_of_day(self, fade: float) -> None:
        self.seen *= fade
