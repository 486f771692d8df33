"""Benchmarks, each beside its baseline in the same run, as one table: `make bench` (which starts
RabbitMQ through ops/infra.sh; PostgreSQL must be up for those that use it), or

    python -m bench [name ...]        e.g. python -m bench read relay

Each bench is a module of this package with a `figures()` function returning `table.Figure`s;
`python -m bench.<name> --help` runs one alone with its own options. In the default order:

read       the read path through the gateway beside bare Flask, SQLite and PostgreSQL (bench/read.py)
relay      the outbox relay beside raw pika and one round trip per message (bench/relay.py)
portal     the portal's list of requests beside the API call it wraps (bench/portal.py)
footprint  the memory of each process under load (bench/footprint.py)
failover   losing the broker node the services are connected to (bench/failover.py)
sweep      deadlines passing together (bench/sweep.py)
consumers  each service's consumer beside raw pika (bench/consumers.py)"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
import traceback

from .table import Figure, print_table

BENCHES = ("read", "relay", "portal", "footprint", "failover", "sweep", "consumers")


def available() -> list[str]:
    return [name for name in BENCHES if importlib.util.find_spec(f"bench.{name}") is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # No `choices` with nargs="*": Python 3.11's argparse checks the empty default against them.
    parser.add_argument("only", nargs="*", help=f"some of: {', '.join(available())} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(available()))
    if unknown:
        parser.error(f"no such bench: {', '.join(unknown)} (choose from {', '.join(available())})")
    figures: list[Figure] = []
    failed = []
    for name in args.only or available():
        print(f"bench {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            figures += importlib.import_module(f"bench.{name}").figures()
        except Exception:  # one broken bench still leaves the others' figures
            traceback.print_exc()
            failed.append(name)
        print(f"bench {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print()
    print_table(figures)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
