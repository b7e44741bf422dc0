"""`python -m dashboards [ROOT] [--currency CODE ...] [--scenario FILE ...]`: write the dashboards'
JSON and the Prometheus rules; money dashboards for the shipped scenarios' currencies, those already
written, and each currency (or scenario's currency) named."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from socialsim.configerrors import ConfigError

from .defaults import CurrencyError, currency_code, scenario_currency
from .render import JSON_DIR, write_all


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards", description=__doc__)
    parser.add_argument("root", nargs="?", type=Path, default=Path("."), help="repository to write into")
    parser.add_argument("--currency", action="append", default=[], help="also money dashboards in CODE")
    parser.add_argument(
        "--scenario", action="append", default=[], type=Path, help="also in this scenario's currency"
    )
    args = parser.parse_args(argv)
    try:
        currencies = [currency_code(c, "--currency") for c in args.currency]
        currencies += [scenario_currency(p) for p in args.scenario]
    except CurrencyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        return 2
    written = write_all(args.root, currencies)
    print(f"wrote {', '.join(f'{n}.json' for n in written)} in {args.root / JSON_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
