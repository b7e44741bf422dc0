"""Metric names and label sets: the one vocabulary shared by collectors, rules and dashboards.

Names are the exposed ones (counters end in `_total`); base units are seconds and dollars.
Labels come from small fixed sets only: arm, segment, intent, department, action, valence.
"""

from __future__ import annotations

# ---- outcomes, from the simulator; mean over the replications in flight ---------------------
SIM_TIME = "socialsim_sim_time_seconds"
REVENUE = "socialsim_revenue_dollars_total"
COST = "socialsim_cost_dollars_total"
CLV = "socialsim_customer_lifetime_value_dollars"
ROI = "socialsim_roi_ratio"
TRUST = "socialsim_customer_trust_ratio"
NPS = "socialsim_net_promoter_score"
ACTIVE = "socialsim_active_customers"
CONVERSATIONS = "socialsim_conversations_total"
HELP_SEEKING = "socialsim_help_seeking_conversations_total"
HELPED = "socialsim_helped_conversations_total"
ANSWERED = "socialsim_answered_conversations_total"
FIRST_RESPONSE = "socialsim_first_response_seconds"
WOM_REACH = "socialsim_word_of_mouth_reach_total"
WOM_POSTS = "socialsim_word_of_mouth_posts_total"
CHURNED = "socialsim_churned_customers_total"
ACQUIRED = "socialsim_acquired_customers_total"
BROADCASTS = "socialsim_broadcasts_total"

# ---- operations, from the strategy policies; summed over the run's replications -------------
DECISIONS = "socialsim_decisions_total"
BACKLOG = "socialsim_backlog_conversations"
STAFF_ON_SHIFT = "socialsim_staff_on_shift_seconds_total"
STAFF_BUSY = "socialsim_staff_busy_seconds_total"
HANDOFFS = "socialsim_handoffs_total"
POLICY_TIME = "socialsim_policy_sim_time_seconds"
DEAD_LETTERS = "socialsim_dead_letters_total"

# ---- FastStream's Kafka middleware in each service (app_name is the arm) ---------------------
FASTSTREAM_PREFIX = "faststream"
RECEIVED = "faststream_received_messages_total"
PUBLISHED = "faststream_published_messages_total"

# Bucket bounds of the first-response histogram [s]: 5 min to 2 days, around the seeds' figures
FIRST_RESPONSE_BUCKETS_S = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 172800.0)
