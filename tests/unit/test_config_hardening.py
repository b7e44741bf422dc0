"""Hostile config files and --set values are refused with short single lines, quickly.

Each case here once ended in a traceback, a hang, a silently accepted value or a line echoing a
whole file (measured by mutating the shipped configs); the loader must now refuse each with one
line naming the file and, where there is one, the field.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from socialsim.configerrors import MAX_LINE_CHARS, ConfigError, from_validation
from socialsim.configload import (
    MAX_CONFIG_BYTES,
    SCENARIO_DIR,
    STRATEGY_DIR,
    load_scenario,
    load_strategy,
    with_run_options,
)
from socialsim.contracts.strategy import Strategy
from socialsim.pace import parse_pace

SHIPPED = SCENARIO_DIR / "credit-card-issuer.yaml"
# Longest a refusal may take [s]: the loader's limits make every refusal far quicker than this.
REFUSAL_BOUND_S = 3.0

# Under 300 bytes that expand to 9**7 strings (like the alias bomb that hung `socialsim validate`).
ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "name: *g\n"
)


@pytest.fixture
def world(tmp_path) -> Path:
    """A copy of the shipped configs (scenarios/ and strategies/ side by side) to damage."""
    (tmp_path / "scenarios").mkdir()
    shutil.copy(SHIPPED, tmp_path / "scenarios" / SHIPPED.name)
    shutil.copytree(STRATEGY_DIR, tmp_path / "strategies")
    return tmp_path / "scenarios" / SHIPPED.name


def refused(load, *fragments: str) -> list[str]:
    """Run `load`; it must raise ConfigError quickly, each line short and single, with `fragments`."""
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load()
    assert time.perf_counter() - started < REFUSAL_BOUND_S
    lines = caught.value.lines
    assert lines and all("\n" not in line and len(line) <= MAX_LINE_CHARS for line in lines), lines
    text = "\n".join(lines)
    for fragment in fragments:
        assert fragment in text, text
    return lines


def edit(path: Path, change) -> Path:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return path


def at(data, dotted: str, value) -> None:
    """Set a dotted path, creating mappings on the way (the shipped file leaves defaults out)."""
    *head, last = dotted.split(".")
    for key in head:
        data = data[int(key)] if isinstance(data, list) else data.setdefault(key, {})
    data[int(last) if isinstance(data, list) else last] = value


# -- the YAML itself --------------------------------------------------------------------------


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    refused(lambda: load_strategy(path), str(path), "line 1", "nested deeper than")


def test_a_small_alias_bomb_is_refused_at_once(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 300
    refused(lambda: load_strategy(path), str(path), "aliases")


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "cycle.yaml"
    path.write_text("name: &a [*a]\ncaptain: comms\n")
    refused(lambda: load_strategy(path), str(path), "refers to itself")


def test_non_utf8_bytes_are_reported_with_file_and_byte_offset(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf" + b"\xe9\ncaptain: comms\n")
    refused(lambda: load_strategy(path), str(path), "byte offset 9", "not UTF-8")


def test_unprintable_characters_are_refused(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_text("name: a\x00b\ncaptain: comms\n")
    refused(lambda: load_strategy(path), str(path), "not valid YAML")


def test_duplicate_keys_are_an_error_with_both_lines(world):
    text = world.read_text()
    world.write_text(text + "seed: 99\n")  # the shipped file already sets seed
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("seed:"))
    refused(lambda: load_scenario(world), str(world), "duplicate key 'seed'", f"first at line {first}")


def test_an_oversized_file_is_refused_without_parsing_it(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    refused(lambda: load_strategy(path), str(path), f"larger than {MAX_CONFIG_BYTES} bytes")


def test_a_number_too_long_to_convert_is_refused(tmp_path):
    path = tmp_path / "digits.yaml"
    path.write_text("name: x\ncaptain: comms\npitch_rate: " + "9" * 5000 + "\n")
    refused(lambda: load_strategy(path), str(path))


def test_a_non_config_file_is_refused_without_echoing_it(tmp_path):
    """Like /etc/shadow: each line parses as a key, and each used to come back as 'unknown key'."""
    path = tmp_path / "shadow"
    secret = "$6$saltsalt$hashhashhash"
    path.write_text("".join(f"user{i}:{secret}:20228:0:99999:7:::\n" for i in range(30)))
    lines = refused(lambda: load_strategy(path), str(path), "not a scenario or strategy file")
    assert len(lines) == 1 and secret not in lines[0] and "user0" not in lines[0]


def test_a_set_value_that_is_not_yaml_is_one_line(world):
    lines = refused(lambda: load_scenario(world, ["seed=["]), "--set 'seed=['", "not valid YAML")
    assert len(lines) == 1


def test_a_strategy_name_too_long_for_the_file_system_is_an_unknown_strategy(world):
    name = "c" + "[" * 3000
    lines = refused(
        lambda: load_scenario(world, [f"arms=[{{name: a, strategy: '{name}'}}]"]), "unknown strategy"
    )
    assert len(lines) == 1


def test_an_empty_set_path_segment_is_refused(world):
    refused(lambda: load_scenario(world, ["world..days=3"]), "not a dotted path")


# -- numbers ------------------------------------------------------------------------------------

NUMBER_FIELDS = [
    "world.segments.newlyweds.monthly_spend_dollars",
    "world.segments.newlyweds.purchase_dollars",
    "world.segments.newlyweds.conversations_per_month",
    "world.segments.newlyweds.intents.question",
    "world.economics.staff_cost_dollars_per_hour.support",
    "world.economics.broadcast_cost_dollars",
    "world.reactions.action_quality.resolve.resolve",
    "world.reactions.tone_trust_multiplier.neutral",
    "world.reactions.help_half_life_minutes",
    "world.reactions.trust_memory_days",
    "world.activity_by_hour.3",
]
STRATEGY_FIELDS = [
    "staff_hours_per_day.comms",
    "handle_minutes.answer",
    "pitch_minutes",
    "handoff_minutes",
    "max_wait_hours",
    "priorities.intent.complaint",
    "priorities.segment.newlyweds",
    "broadcasts.targeting.newlyweds",
    "listening.half_life_days",
]
BAD_NUMBERS = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "negative": -1.0}


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("field", NUMBER_FIELDS)
def test_world_numbers_must_be_finite_and_in_range(world, field, bad):
    def change(data):
        if field.startswith("world.activity_by_hour"):
            data["world"]["activity_by_hour"] = [1.0] * 24
        at(data, field, BAD_NUMBERS[bad])

    edit(world, change)
    where = field.rsplit(".", 1)[0] if field[-1].isdigit() else field
    refused(lambda: load_scenario(world), str(world), where)


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("field", STRATEGY_FIELDS)
def test_strategy_numbers_must_be_finite_and_in_range(world, field, bad):
    """Through an arm's overrides, so priorities.segment and targeting name a real segment."""
    refused(
        lambda: load_scenario(world, [f"arms.comms-led.{field}={BAD_NUMBERS[bad]}"]),
        "comms-led.yaml",
        field,
    )


def test_a_nan_written_in_yaml_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\ncaptain: comms\nstaff_hours_per_day: {comms: .nan}\n")
    refused(lambda: load_strategy(path), "staff_hours_per_day.comms", "finite")


# -- names and memory ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["priorities.segment", "broadcasts.targeting"])
def test_an_unknown_segment_in_an_arm_override_is_refused(world, field):
    edit(world, lambda d: at(d, "arms.1.overrides", {f"{field}.newlywed": 2.0}))
    refused(lambda: load_scenario(world), str(world), "arms[1]", field, "unknown segment 'newlywed'")


def test_an_unknown_segment_through_set_is_refused(world):
    refused(
        lambda: load_scenario(world, ["arms.marketing-led.broadcasts.targeting.nobody=1"]),
        "unknown segment 'nobody'",
    )


def test_an_unknown_topic_in_a_strategy_file_is_refused(world):
    strategy = world.parent.parent / "strategies" / "support-led.yaml"
    edit(strategy, lambda d: d.setdefault("priorities", {}).setdefault("topic", {}).update(nosuchtopic=3))
    refused(lambda: load_scenario(world), "priorities.topic", "unknown topic 'nosuchtopic'")


def test_a_follower_count_that_would_not_fit_in_memory_is_refused(world):
    edit(world, lambda d: at(d, "world.segments.newlyweds.followers", {"median": 1e9, "cap": 1e9}))
    refused(lambda: load_scenario(world), str(world), "followers")


def test_the_follow_link_budget_holds_for_a_population_override_too():
    scenario = load_scenario(SHIPPED)
    refused(lambda: with_run_options(scenario, customers=5_000_000), "follow links")


# -- error lines --------------------------------------------------------------------------------


def test_an_error_about_a_vast_value_is_built_without_its_full_repr():
    """A value made of shared references (what aliases build) is tiny in memory and vast as text:
    9**8 strings. The error line quotes a few of them, without building the rest."""
    vast: object = ["lol"] * 9
    for _ in range(7):
        vast = [vast] * 9
    started = time.perf_counter()
    try:
        Strategy.model_validate({"name": vast, "captain": "comms", "staff_hours_per_day": {"comms": 8}})
    except ValidationError as err:
        (line,) = from_validation(err, "s.yaml", Strategy).lines
    assert time.perf_counter() - started < REFUSAL_BOUND_S
    assert line.startswith("s.yaml: name:") and "(got [[" in line and len(line) <= MAX_LINE_CHARS


def test_an_error_about_a_huge_unknown_key_stays_one_short_line(world):
    edit(world, lambda d: at(d, "world.population", {"k" * 100_000: 1}))
    (line,) = refused(lambda: load_scenario(world), "unknown key")
    assert len(line) <= MAX_LINE_CHARS


def test_the_shipped_configs_still_load():
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        load_scenario(path)


@pytest.mark.parametrize("pace", ["1s=1000d", "9" * 400 + "d=1s"])
def test_a_pace_that_would_stall_or_never_wait_is_refused(pace):
    (line,) = refused(lambda: parse_pace(pace), "--pace", "wall seconds per simulated minute")
    assert len(line) <= MAX_LINE_CHARS
