"""Named units of simulated time, so no module hides a day or a month in a bare number.

Simulated time is counted in minutes since the start of a run (SimPy's clock unit).
"""

from typing import Final

SECONDS_PER_MINUTE: Final = 60.0
MINUTES_PER_HOUR: Final = 60
HOURS_PER_DAY: Final = 24
MINUTES_PER_DAY: Final = MINUTES_PER_HOUR * HOURS_PER_DAY
DAYS_PER_WEEK: Final = 7.0
DAYS_PER_YEAR: Final = 365.0
MONTHS_PER_YEAR: Final = 12.0

# A calendar month on average (365.25 / 12): converts a rate per month into a rate per day.
DAYS_PER_MONTH: Final = 30.4375

# Recurring spend is billed once per cycle of this many days, each customer on a billing day of
# their own drawn at the start. It is a whole number of days so that every day bills the same
# share of customers; a year therefore holds 365 / 30 ≈ 12.2 bills, slightly more than the 12
# months of DAYS_PER_MONTH. Changing it changes every revenue figure.
BILLING_CYCLE_DAYS: Final = 30
