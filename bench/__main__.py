"""``.venv/bin/python -m bench [--only NAME ...] [--quick]``: run the benchmarks, print the table.

Exit status 0 when every target is met, 1 when one is not, 2 when a benchmark failed.
"""

from __future__ import annotations

import argparse
import os
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack

from bench import changes, compliance, feed, history, importing, roster, tree
from bench.common import Context, Row, note, print_table, temporary_database

BENCHMARKS: dict[str, Callable[[Context], list[Row]]] = {
    "changes": changes.run,
    "tree": tree.run,
    "import": importing.run,
    "feed": feed.run,
    "roster": roster.run,
    "compliance": compliance.run,
    "history": history.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks against baselines measured in the same run (see bench/README.md).")
    parser.add_argument("--only", choices=BENCHMARKS, action="append",
                        help="run this benchmark (repeatable, in the order given)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    parser.add_argument(
        "--postgres", metavar="URL",
        default=os.environ.get("GRASSROOTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server, without a database name (default: %(default)s)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    failed = []
    note("bench", "load average (1, 5, 15 min) at start: %.1f %.1f %.1f" % os.getloadavg())
    with ExitStack() as stack:
        ctx = Context(stack.enter_context(temporary_database(args.postgres)), stack,
                      quick=args.quick)
        for name in args.only or list(BENCHMARKS):
            began = time.perf_counter()
            try:
                rows.extend(BENCHMARKS[name](ctx))
            except Exception:  # noqa: BLE001 - report it, run the others
                traceback.print_exc()
                failed.append(name)
            note(name, f"{'FAILED' if name in failed else 'done'} in "
                       f"{time.perf_counter() - began:.0f} s")
    note("bench", "load average (1, 5, 15 min) at end: %.1f %.1f %.1f" % os.getloadavg())
    print()
    print_table(rows)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 2
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
