"""bench/compare A.json B.json [--threshold 10]: what got slower from run A to run B.

Compares each scenario and variant present in both runs: req/s falling, or p99 rising,
by more than the threshold (percent). Raw req/s on a shared machine drift together, so the
real endpoints' ratios to their baselines are compared too: a ratio falling by more than
the threshold is the regression that noise cannot explain. Exit status 1 on regressions.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.runner.report import targets


def regressions(a: dict[str, Any], b: dict[str, Any], threshold: float) -> list[str]:
    found = []
    before = {(r["scenario"], r["variant"]): r for r in a["results"]}
    for r in b["results"]:
        old = before.get((r["scenario"], r["variant"]))
        if not old:
            continue
        name = f"{r['scenario']}/{r['variant']}"
        if old["rps"] and r["rps"] < old["rps"] * (1 - threshold / 100):
            found.append(f"{name}: req/s {old['rps']:,.1f} -> {r['rps']:,.1f}")
        if old["p99_ms"] and r["p99_ms"] > old["p99_ms"] * (1 + threshold / 100):
            found.append(f"{name}: p99 {old['p99_ms']:.2f} ms -> {r['p99_ms']:.2f} ms")
        if old.get("queries") is not None and (r.get("queries") or 0) > old["queries"]:
            found.append(f"{name}: queries {old['queries']} -> {r['queries']}")
    old_ratios = {t["target"]: t["value"] for t in targets(a["results"]) if "req/s" in t["target"]}
    for t in targets(b["results"]):
        old_value = old_ratios.get(t["target"])
        if old_value and isinstance(t["value"], float):
            lower_is_better = t["goal"].startswith("<=")
            worse = t["value"] > old_value if lower_is_better else t["value"] < old_value
            if worse and abs(t["value"] - old_value) > abs(old_value) * threshold / 100:
                found.append(f"{t['target']}: {old_value} -> {t['value']}")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/compare", description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--threshold", type=float, default=10.0, help="percent (default 10)")
    args = parser.parse_args(argv)
    a, b = (json.loads(p.read_text()) for p in (args.before, args.after))
    found = regressions(a, b, args.threshold)
    for line in found:
        print(line)
    print(
        f"{len(found)} regression(s) beyond {args.threshold:g} % "
        f"({a['meta']['commit']} -> {b['meta']['commit']})"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
