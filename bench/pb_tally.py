"""Participatory budgets: the tally of every shared Pabulib file by each rule, ours and pabutools'.

For each .pb file in ../shared/data/pabulib/ and each rule (greedy; mes, the Method of Equal
Shares completed by add1, for every ballot type but ordinal), in the same run:

- our tally (clocher.participation.counting on the file read by clocher.participation.pabulib),
  the median wall-clock time of REPEATS counts, parsing excluded;
- pabutools' (1.2.3, the issue's reference, through clocher/participation/tests/pabutools_reference.py),
  one count, parsing excluded: its MES with add1 runs for seconds per file;
- whether the winners are the same, counted over every file and rule (target: all);
- MES's speed-up over pabutools on the file pabutools is slowest on (target ≥ 20, same winners).

Needs no database. `python -m bench.pb_tally` measures alone and prints the figures;
`python -m bench.pb_tally --expected` rewrites clocher/participation/tests/pabutools_mes.json,
pabutools' MES winners for the tests (which run pabutools live only where it is fast).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.__main__ import Bench

REPEATS = 5
SPEED_UP = 20


def shared_files() -> list[Path]:
    from clocher.territories.geography import shared_data_dir

    folder = shared_data_dir() / "pabulib"
    files = sorted(folder.glob("*.pb"))
    if not files:
        raise RuntimeError(f"no .pb file in {folder}")
    return files


def label(path: Path) -> str:
    """A short name: "France_Toulouse_2022_9_-_Trois_Cocus..." gives "Toulouse 2022 9"."""
    words = path.stem.split("_-_")[0].split("_")
    return " ".join(words[1:] if len(words) > 2 else words)[:34]


def rules_for(path: Path) -> list[str]:
    from clocher.participation.pabulib import read_pb

    return ["greedy"] if read_pb(path).vote_type == "ordinal" else ["greedy", "mes"]


def ours(path: Path, rule: str) -> tuple[list[str], float]:
    """Our winners and the median seconds of REPEATS counts."""
    from clocher.participation.counting import tally
    from clocher.participation.pabulib import read_pb

    election = read_pb(path).election()
    times = []
    winners: list[str] = []
    for _repeat in range(REPEATS):
        started = time.perf_counter()
        winners = list(tally(election, rule).winners)
        times.append(time.perf_counter() - started)
    return winners, statistics.median(times)


def run(bench: Bench) -> None:
    """Times every file by every rule; each file's figures fail on their own."""
    from clocher.participation.tests.pabutools_reference import reference_winners

    _setup(bench)
    equal = ("pb tally: winners equal to pabutools'", "tallies", "all")
    speed = ("pb tally: MES speed-up over pabutools, slowest file", "ratio", f"≥ {SPEED_UP}")
    with bench.measuring(equal, speed):
        files = shared_files()
        same = total = 0
        slowest: tuple[float, float, bool, str] | None = None  # pabutools' s, ours, same, label
        for path in files:
            for rule in rules_for(path):
                name = f"pb tally {label(path)}: {rule}"
                with bench.measuring((name, "ms", "-"), (f"{name}, pabutools", "ms", "-")):
                    winners, seconds = ours(path, rule)
                    bench.record(name, seconds * 1000, "ms", "-", None)
                    reference, reference_seconds = reference_winners(path, rule)
                    bench.record(f"{name}, pabutools", reference_seconds * 1000, "ms", "-", None)
                    total += 1
                    agrees = set(winners) == reference
                    same += agrees
                    if not agrees:
                        print(f"  {path.name} {rule}: ours {sorted(winners)}, pabutools {sorted(reference)}")
                    if rule == "mes" and (slowest is None or reference_seconds > slowest[0]):
                        slowest = (reference_seconds, seconds, agrees, label(path))
        bench.record(equal[0], same, "tallies", f"= {total}", same == total)
        if slowest is not None:
            reference_seconds, seconds, agrees, where = slowest
            ratio = reference_seconds / seconds
            print(f"  slowest for pabutools' MES: {where}, {reference_seconds:.2f} s against {seconds * 1000:.1f} ms")
            bench.record(speed[0], ratio, "ratio", f"≥ {SPEED_UP}", ratio >= SPEED_UP and agrees)


def _setup(bench: Bench) -> None:
    import django

    os.environ.update(bench.env)
    if "DATABASE_URL" not in bench.env:
        os.environ.pop("DATABASE_URL", None)
    django.setup()


def write_expected() -> None:
    """Recomputes pabutools' MES winners on every shared file into the tests' fixture."""
    from clocher.participation.tests.pabutools_reference import EXPECTED, reference_winners

    expected: dict[str, dict[str, object]] = {}
    for path in shared_files():
        if "mes" in rules_for(path):
            winners, seconds = reference_winners(path, "mes")
            expected[path.name] = {"winners": sorted(winners), "seconds": round(seconds, 2)}
            print(f"{path.name}: {len(winners)} winners in {seconds:.2f} s")
    EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"Written to {EXPECTED}")


def main() -> int:
    from bench.__main__ import Bench

    bench = Bench()
    _setup(bench)
    if sys.argv[1:] == ["--expected"]:
        write_expected()
        return 0
    run(bench)
    width = max(len(figure.name) for figure in bench.figures)
    for figure in bench.figures:
        value = "-" if figure.value is None else f"{figure.value:,.2f}"
        verdict = figure.error or ("-" if figure.met is None else "met" if figure.met else "MISSED")
        print(f"{figure.name:<{width}}  {value:>10}  {figure.unit:<7}  {figure.target:<6}  {verdict}")
    return 1 if any(figure.error for figure in bench.figures) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
