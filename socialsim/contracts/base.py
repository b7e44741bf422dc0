"""Base model for config files, and the bounded number types their fields use.

Unknown keys are errors, so a typo never silently does nothing. NaN and infinity are refused
everywhere (a NaN figure poisons every sum it joins and writes invalid JSON), and every kind of
quantity has a documented range: wide enough for any real company, narrow enough that no product
or sum over a whole run can overflow a float or exhaust memory.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Largest money figure a config may state [$]: above any real price, salary or campaign, and small
# enough that a sum over 5 million customers and ten years of months stays far from float overflow.
MAX_DOLLARS = 1e9
# Largest relative weight (priorities, targeting, activity by hour) [weight].
MAX_WEIGHT = 1e6
# Largest multiplier on a behaviour (sensitivities, tone effects, complaint weight) [multiplier].
MAX_MULTIPLIER = 100.0
# Longest duration a config may state: ten years [days].
MAX_DAYS = 3650.0
# Longest single agent task or delay: ten days [minutes].
MAX_TASK_MINUTES = 14_400.0
# Most staffed hours a department can put in one day: 1000 people on full days [hours / day].
MAX_STAFF_HOURS_PER_DAY = 24_000.0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


Probability = Annotated[float, Field(ge=0, le=1)]
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]
Multiplier = Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]
Dollars = Annotated[float, Field(ge=0, le=MAX_DOLLARS)]
TaskMinutes = Annotated[float, Field(gt=0, le=MAX_TASK_MINUTES)]
StaffHours = Annotated[float, Field(ge=0, le=MAX_STAFF_HOURS_PER_DAY)]
