"""How customers react to the brand: the model's behavioural assumptions, each a named parameter.

Calibrated parameters name the facts they are calibrated to (docs/calibration.md); the rest are
assumptions, listed as such there.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import MAX_DAYS, MAX_MULTIPLIER, MAX_TASK_MINUTES, Multiplier, Probability, Strict
from .vocabulary import ACTIONS, NEEDS, TONES

_DEFAULT_QUALITY = {
    "resolve": {"resolve": 0.92, "de_escalate": 0.45, "answer": 0.35, "acknowledge": 0.1, "offer": 0.05},
    "answer": {"answer": 0.9, "resolve": 0.9, "de_escalate": 0.7, "offer": 0.4, "acknowledge": 0.2},
    "de_escalate": {"de_escalate": 0.85, "resolve": 0.9, "answer": 0.55, "acknowledge": 0.25, "offer": 0.1},
    "convert": {"offer": 0.95, "answer": 0.7, "resolve": 0.6, "de_escalate": 0.5, "acknowledge": 0.3},
    "acknowledge": {"acknowledge": 0.9, "answer": 0.9, "de_escalate": 0.8, "resolve": 0.8, "offer": 0.6},
}


class Reactions(Strict):
    """How customers react. These are the model's behavioural assumptions (see README, "The model")."""

    action_quality: dict[str, dict[str, Probability]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in _DEFAULT_QUALITY.items()},
        description=(
            "chance an immediate response with this action meets this need, by need then action [probability]"
        ),
    )
    tone_trust_multiplier: dict[str, Multiplier] = Field(
        default_factory=lambda: {"conversational": 1.2, "neutral": 1.0, "promotional": 0.8},
        description="how a response's tone scales the trust it wins, by tone [multiplier]",
    )
    help_half_life_minutes: float = Field(
        25.0,
        gt=0,
        le=MAX_TASK_MINUTES,
        description=(
            "delay after which a response's chance of helping has halved [minutes]; "
            "calibrated to: fast-reply-wtp, telecom-latency (docs/calibration.md)"
        ),
    )
    trust_gain_helped: float = Field(
        0.04,
        ge=0,
        le=1,
        description=(
            "trust gained when helped, times service_sensitivity [trust]; "
            "calibrated to: reply-wtp, recommend (docs/calibration.md)"
        ),
    )
    trust_loss_unhelped: float = Field(
        0.012,
        ge=0,
        le=1,
        description=(
            "trust lost when answered but not helped [trust]; calibrated to: "
            "telecom-latency, fast-reply-wtp (docs/calibration.md)"
        ),
    )
    trust_loss_ignored: float = Field(
        0.012,
        ge=0,
        le=1,
        description=(
            "trust lost when a help-seeking post gets no answer [trust]; calibrated "
            "to: telecom-latency, fast-reply-wtp (docs/calibration.md)"
        ),
    )
    complaint_weight: float = Field(
        1.5,
        ge=0,
        le=MAX_MULTIPLIER,
        description="how much more a complaint's outcome moves trust than a question's [multiplier]",
    )
    trust_gain_acknowledged: float = Field(
        0.01, ge=0, le=1, description="trust gained when praise or chatter is acknowledged [trust]"
    )
    pitch_annoyance: float = Field(
        0.015,
        ge=0,
        le=1,
        description=(
            "trust lost when someone who did not ask gets a sales pitch [trust]; "
            "calibrated to: fast-reply-wtp (docs/calibration.md)"
        ),
    )
    pitch_conversion: float = Field(
        0.04,
        ge=0,
        le=1,
        description=(
            "chance an unsolicited pitch leads to a purchase, times promotion_sensitivity [probability]"
        ),
    )
    comeback_uplift: float = Field(
        0.5,
        ge=0,
        le=5,
        description=(
            "rise in a helped customer's rate of questions and complaints (the squeaky wheel) [fraction]"
        ),
    )
    comeback_cap: float = Field(
        3.0, ge=1, le=10, description="ceiling on the question/complaint rate multiplier [multiplier]"
    )
    purchase_conversion_unanswered: float = Field(
        0.15,
        ge=0,
        le=1,
        description="chance a purchase-intent post becomes a purchase with no answer [probability]",
    )
    purchase_conversion_helped: float = Field(
        0.5,
        ge=0,
        le=1,
        description="chance a purchase-intent post becomes a purchase when the answer helped [probability]",
    )
    advocacy_after_help: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "chance a helped customer posts praise to their followers "
            "[probability]; calibrated to: wom-ratio (docs/calibration.md)"
        ),
    )
    rant_after_neglect: float = Field(
        0.15,
        ge=0,
        le=1,
        description=(
            "chance an unhelped complainer posts criticism to their followers "
            "[probability]; calibrated to: wom-ratio (docs/calibration.md)"
        ),
    )
    wom_trust_effect: float = Field(
        0.0003,
        ge=0,
        le=1,
        description="trust change of a customer who sees a friend's post about the brand [trust per post]",
    )
    wom_acquisition_hazard: float = Field(
        0.02,
        ge=0,
        le=1,
        description="added chance of becoming a customer per positive post a prospect sees [1 / post]",
    )
    wom_deterrence: float = Field(
        0.02,
        ge=0,
        le=1,
        description="removed chance of becoming a customer per negative post a prospect sees [1 / post]",
    )
    organic_acquisition_per_year: float = Field(
        0.05,
        ge=0,
        le=5,
        description="hazard of a prospect becoming a customer with no word of mouth [1 / year]",
    )
    spend_trust_elasticity: float = Field(
        2.0,
        ge=0,
        le=10,
        description=(
            "relative change in recurring spend per unit of trust above baseline [1 "
            "/ trust]; calibrated to: reply-wtp (docs/calibration.md)"
        ),
    )
    churn_trust_elasticity: float = Field(
        4.0,
        ge=0,
        le=20,
        description="churn hazard is multiplied by exp(-elasticity x (trust - baseline)) [1 / trust]",
    )
    trust_memory_days: float = Field(
        120.0, gt=0, le=MAX_DAYS, description="time constant with which trust drifts back to baseline [days]"
    )
    broadcast_conversion: float = Field(
        0.0008,
        ge=0,
        le=1,
        description=(
            "chance a person reached by a campaign buys, per exposure, times promotion_sensitivity "
            "[probability]; calibrated to: campaign-lift (docs/calibration.md)"
        ),
    )
    organic_reach_share: float = Field(
        0.06,
        ge=0,
        le=1,
        description=(
            "share of the brand account's followers an organic post reaches when the account has "
            "organic_reach_reference_followers [fraction]; calibrated to: organic-reach (docs/calibration.md)"
        ),
    )
    organic_reach_reference_followers: float = Field(
        100_000.0,
        gt=0,
        le=1e9,
        description="account size at which an organic post reaches organic_reach_share [people]",
    )
    organic_reach_elasticity: float = Field(
        0.35,
        ge=0,
        le=2,
        description=(
            "organic reach share = organic_reach_share x (followers / reference)^(-elasticity): "
            "larger audiences see a smaller share of each post [1]; calibrated to: organic-reach "
            "(docs/calibration.md)"
        ),
    )
    deal_newcomer_return: float = Field(
        0.35,
        ge=0,
        le=1,
        description=(
            "chance a newcomer brought by an offer stays a customer and buys again without one; the "
            "others lapse back to prospects whom only another offer brings back [probability]; "
            "calibrated to: deal-return (docs/calibration.md)"
        ),
    )
    unfollow_per_promotion: float = Field(
        0.007,
        ge=0,
        le=1,
        description=(
            "chance a brand follower unfollows on seeing an offer or an unsolicited pitch, per unit of "
            "promotion fatigue [probability / promotion]; calibrated to: promo-unfollow (docs/calibration.md)"
        ),
    )
    unfollow_per_post: float = Field(
        0.002,
        ge=0,
        le=1,
        description=(
            "chance a follower unfollows on seeing a broadcast, per broadcast seen recently (fading over "
            "fatigue_recovery_days): the cost of posting too often [probability / post]"
        ),
    )
    unfollow_irrelevance: float = Field(
        0.0015,
        ge=0,
        le=1,
        description=(
            "chance a follower unfollows on seeing a broadcast that does not interest them, times "
            "(1 - promotion_sensitivity x targeting weight), floored at 0 [probability]"
        ),
    )
    unfollow_after_neglect: float = Field(
        0.01,
        ge=0,
        le=1,
        description=(
            "chance a follower unfollows when their question or complaint gets no answer [probability]"
        ),
    )
    churn_contagion: float = Field(
        0.8,
        ge=0,
        le=10,
        description=(
            "churn hazard is multiplied by (1 + churn_contagion) per close tie who has churned "
            "[fraction per churned close tie]; calibrated to: churn-contagion (docs/calibration.md)"
        ),
    )
    close_ties: float = Field(
        20.0,
        ge=0,
        le=1e6,
        description=(
            "how many of the people a customer follows are close enough that their leaving matters; a "
            "churned followee counts as min(1, close_ties / the larger of the people the customer "
            "follows and the churner's followers) close ties [people]"
        ),
    )
    retelling_negative: float = Field(
        1.5,
        ge=1,
        le=MAX_MULTIPLIER,
        description=(
            "how many times its author's followers a negative word-of-mouth post reaches once "
            "retold: each follower who sees it retells it to their own followers with chance "
            "(multiplier - 1) / their follower count [multiplier]; calibrated to: negative-reach "
            "(docs/calibration.md)"
        ),
    )
    retelling_positive: float = Field(
        1.0,
        ge=1,
        le=MAX_MULTIPLIER,
        description=(
            "as retelling_negative, for positive word of mouth [multiplier]; calibrated to: "
            "negative-reach (docs/calibration.md)"
        ),
    )
    offer_uplift: float = Field(
        2.5, ge=1, le=20, description="how much an offer multiplies a broadcast's conversion [multiplier]"
    )
    campaign_prospect_reach: float = Field(
        0.025,
        ge=0,
        le=1,
        description=(
            "share of a targeted segment's prospects a campaign's paid promotion reaches, beyond the "
            "brand's followers [fraction]; calibrated to: deal-newcomers (docs/calibration.md)"
        ),
    )
    campaign_acquisition_hazard: float = Field(
        0.01,
        ge=0,
        le=1,
        description=(
            "pull towards becoming a customer of a prospect reached by a campaign they do not act on "
            "at once, times promotion_sensitivity [1 / exposure]"
        ),
    )
    fatigue_recovery_days: float = Field(
        7.0, gt=0, le=MAX_DAYS, description="time constant with which promotion fatigue fades [days]"
    )
    tune_out_fatigue: float = Field(
        6.0,
        gt=0,
        le=1e6,
        description=(
            "fatigue (promotions seen, decaying) above which a follower stops seeing broadcasts [promotions]"
        ),
    )
    promoter_trust: float = Field(
        0.74,
        ge=0,
        le=1,
        description=(
            "trust at or above which a customer is an NPS promoter (scores 9-10) "
            "[0..1]; calibrated to: recommend, wom-ratio (docs/calibration.md)"
        ),
    )
    detractor_trust: float = Field(
        0.62,
        ge=0,
        le=1,
        description=(
            "trust below which a customer is an NPS detractor (scores 0-6) [0..1]; "
            "calibrated to: wom-ratio (docs/calibration.md)"
        ),
    )

    @model_validator(mode="after")
    def _quality_table(self) -> Reactions:
        missing = set(NEEDS) - set(self.action_quality)
        if missing:
            raise ValueError(f"action_quality lacks need(s) {sorted(missing)}; needs: {list(NEEDS)}")
        unknown = set(self.action_quality) - set(NEEDS)
        if unknown:
            raise ValueError(f"action_quality: unknown need(s) {sorted(unknown)}; needs: {list(NEEDS)}")
        for need, by_action in self.action_quality.items():
            unknown = set(by_action) - set(ACTIONS)
            if unknown:
                raise ValueError(
                    f"action_quality.{need}: unknown action(s) {sorted(unknown)}; actions: {list(ACTIONS)}"
                )
        unknown_tones = set(self.tone_trust_multiplier) - set(TONES)
        if unknown_tones:
            raise ValueError(
                f"tone_trust_multiplier: unknown tone(s) {sorted(unknown_tones)}; tones: {list(TONES)}"
            )
        missing_tones = set(TONES) - set(self.tone_trust_multiplier)
        if missing_tones:
            raise ValueError(
                f"tone_trust_multiplier lacks tone(s) {sorted(missing_tones)}; tones: {list(TONES)}"
            )
        if self.detractor_trust > self.promoter_trust:
            raise ValueError("detractor_trust must not exceed promoter_trust")
        return self
