"""`ccserver bench [NAME] [options...]`: benchmarks, each printing its figures beside a baseline.

`ccserver bench` runs them all with their defaults; `ccserver bench NAME --help` shows a bench's options.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from ccserver.runtime import tune_for_throughput

# name -> "module:function"; each function takes the options after NAME and returns an exit code.
BENCHES: dict[str, str] = {
    "ingest": "ccserver.bench.ingest:ingest_bench",
    "agi": "ccserver.bench.agi:agi_bench",
    "routing": "ccserver.bench.routing:routing_bench",
    "ring": "ccserver.bench.ring:ring_bench",  # needs the sandbox
    "screenpop": "ccserver.bench.screenpop:screenpop_bench",  # needs the sandbox
}


def _load(target: str) -> Callable[[list[str]], int]:
    module, _, function = target.partition(":")
    bench: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    return bench


def bench_command(name: str, options: list[str]) -> int:
    tune_for_throughput()  # the benches measure the service as `ccserver serve` runs it
    if name in ("all", "") or name is None:
        if options:
            print("ccserver bench: options need a bench name (ccserver bench NAME --help)", file=sys.stderr)
            return 2
        return max((_load(target)([]) for target in BENCHES.values()), default=0)
    if name in ("-h", "--help", "list"):
        print(__doc__.strip())
        print("\nbenches: " + ", ".join(BENCHES))
        return 0
    target = BENCHES.get(name)
    if target is None:
        print(f"ccserver bench: no bench {name!r}; there is {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    return _load(target)(options)
