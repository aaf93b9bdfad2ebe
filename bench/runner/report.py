"""Ratios against the baselines, the targets of issue 6, and the JSON + Markdown report."""

import re
from pathlib import Path
from typing import Any

HOT_READS = (
    "catalogue",
    "catalogue_search",
    "course_detail",
    "outline",
    "my_enrollments",
    "lesson_access",
    "roster_page1",
    "roster_deep",
)
CACHED_READS = ("catalogue", "course_detail", "outline_structure")
MIXED_P99_LIMIT_MS = 50.0
README_START = "<!-- bench-results:start -->"
README_END = "<!-- bench-results:end -->"


def _index(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["scenario"], r["variant"]): r for r in results}


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    if not a or not b or not b.get("rps"):
        return None
    return round(a["rps"] / b["rps"], 3)


def _target(name: str, value: float | None, goal: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "value": value, "goal": goal, "met": met}


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target the issue sets, with the measured value; None where not measured."""
    by = _index(results)
    out = []
    for name in HOT_READS:
        real = by.get((name, "real"))
        for variant, goal in (("raw", 0.7), ("naive", 5.0)):
            value = _ratio(real, by.get((name, variant)))
            if value is not None:
                out.append(
                    _target(f"{name}: real / {variant} req/s", value, f">= {goal}", value >= goal)
                )
    floor = by.get(("floor", "floor"))
    for name in CACHED_READS:
        value = _ratio(by.get((name, "real")), floor)
        if value is not None:
            out.append(_target(f"{name}: real / floor req/s", value, ">= 0.5", value >= 0.5))
    value = _ratio(by.get(("lesson_complete", "real")), by.get(("lesson_complete", "raw")))
    if value is not None:
        out.append(_target("lesson_complete: real / raw req/s", value, ">= 0.6", value >= 0.6))
    paced = by.get(("mixed", "paced"))
    if paced:
        out.append(
            _target(
                f"mixed: p99 at {paced['load_fraction']:.0%} of max throughput (ms)",
                paced["p99_ms"],
                f"<= {MIXED_P99_LIMIT_MS:g}",
                paced["p99_ms"] <= MIXED_P99_LIMIT_MS,
            )
        )
    value = _ratio(by.get(("roster_page1", "real")), by.get(("roster_deep", "real")))
    if value is not None:
        out.append(_target("roster: page 1 / deep page req/s", value, "<= 1.2", value <= 1.2))
    for r in results:
        sizes = r.get("queries_by_page_size")
        if r["variant"] == "real" and sizes:
            counts = sorted(set(sizes.values()))
            out.append(
                _target(
                    f"{r['scenario']}: queries at page_size " + " / ".join(sizes),
                    " / ".join(str(v) for v in sizes.values()),  # type: ignore[arg-type]
                    "equal",
                    len(counts) == 1,
                )
            )
    login, bcrypt = by.get(("login", "real")), by.get(("login", "bcrypt"))
    value = _ratio(login, bcrypt)
    if value is not None:
        out.append(_target("login: real / bare bcrypt check req/s", value, "reported", None))
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    by = _index(report["results"])
    floor = by.get(("floor", "floor"))
    lines = [
        f"Run {meta['date']}, scale `{meta['scale']}`, commit `{meta['commit']}`"
        f"{' (uncommitted changes)' if meta['dirty'] else ''}; {meta['nproc']} CPUs, "
        f"{meta['memory_gib']} GiB; {meta['server']}; wrk {meta['wrk']}, "
        f"{meta['duration_s']:g} s per run after a {meta['warmup_s']:g} s warm-up.",
        "",
        "| scenario | req/s | p50 ms | p90 ms | p99 ms | errors | queries | raw req/s | real/raw "
        "| naive req/s | real/naive | real/floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in report["scenario_order"]:
        first_variant = "floor" if name == "floor" else ("max" if name == "mixed" else "real")
        for variant in [first_variant] + (["paced"] if name == "mixed" else []):
            real = by.get((name, variant))
            if not real:
                continue
            raw, naive = by.get((name, "raw")), by.get((name, "naive"))
            label = {
                "paced": f"{name} at {real.get('load_fraction', 0):.0%}",
                "max": f"{name} (max)",
            }
            lines.append(
                "| "
                + " | ".join(
                    [
                        label.get(variant, real["title"] if name != "floor" else "floor"),
                        _fmt(real["rps"]),
                        _fmt(real["p50_ms"]),
                        _fmt(real["p90_ms"]),
                        _fmt(real["p99_ms"]),
                        _fmt(real["errors"]),
                        _fmt(real.get("queries")),
                        _fmt(raw and raw["rps"]),
                        _fmt(_ratio(real, raw)),
                        _fmt(naive and naive["rps"]),
                        _fmt(_ratio(real, naive)),
                        _fmt(_ratio(real, floor)) if name not in ("floor", "mixed") else "-",
                    ]
                )
                + " |"
            )
    bcrypt = by.get(("login", "bcrypt"))
    if bcrypt:
        lines.append(
            f"| bare bcrypt check (login's baseline) | {_fmt(bcrypt['rps'])} | "
            f"{_fmt(bcrypt['p50_ms'])} | {_fmt(bcrypt['p90_ms'])} | {_fmt(bcrypt['p99_ms'])} | "
            f"{_fmt(bcrypt['errors'])} | - | - | - | - | - | - |"
        )
    lines += ["", "| target | measured | goal | met |", "|---|---:|---:|---|"]
    for t in report["targets"]:
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        lines.append(f"| {t['target']} | {_fmt(t['value'])} | {t['goal']} | {met} |")
    return "\n".join(lines) + "\n"


def readme_update(readme: Path, table: str, results_file: str) -> None:
    """Replaces the block between the result markers of bench/README.md."""
    text = readme.read_text()
    block = f"{README_START}\n_From `{results_file}`._\n\n{table}{README_END}"
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        raise RuntimeError(f"{readme} has no {README_START} ... {README_END} block")
    readme.write_text(pattern.sub(lambda _: block, text))
