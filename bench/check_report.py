"""Markdown and console reports of the check benchmark's results (``bench/bench_check.py``).

Everything here reads the results dictionary that the benchmark also writes as JSON.
"""

from __future__ import annotations

import math
from typing import Any

from baselines import VARIANTS

__all__ = ["FLOOR_P99_MS", "markdown", "summary"]

FLOOR_P99_MS = 1.0  # the floor: p99 per check, in-process


def _ms(v: float) -> str:
    return "–" if math.isnan(v) else f"{v:,.3f}"


def _lat_row(name: str, lat: dict[str, float]) -> str:
    cols = (lat[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"))
    return f"| {name} | {lat['n']} | " + " | ".join(_ms(v) for v in cols) + " |"


def _examples(rows: list[dict[str, Any]], with_pg: bool) -> list[str]:
    head = "| check | stored | shapes | required m | exact separation m | referee gap m |"
    rule = "|---|---|---|---:|---:|---:|"
    if with_pg:
        head += " PostGIS distance m |"
        rule += "---:|"
    lines = [head + " engine says | referee sides with engine |", rule + "---|---|"]
    for x in rows:
        line = (
            f"| {x['check']}/{x['check_volume']} | {x['stored']}/{x['stored_volume']} "
            f"| {x['shapes']} | {x['required_m']:,.1f} | {x['exact_separation_m']:,.3f} "
            f"| {x['referee_gap_m']:,.3f} |"
        )
        if with_pg:
            line += f" {x.get('postgis_distance_m', math.nan):,.3f} |"
        verdict = {True: "yes", False: "**no**", None: "too close to call"}[x["engine_right"]]
        says = "conflict" if x["engine_conflict"] else "clear"
        lines.append(line + f" {says} | {verdict} |")
    return lines


_PG_LABELS = {
    "postgis": "PostGIS `ST_DWithin` (psycopg, prepared)",
    "postgis_distance": "PostGIS `ST_Distance <=` (psycopg, prepared)",
}


def _workload_md(r: dict[str, Any]) -> list[str]:
    p, wl = r["parameters"], r["workload"]
    return [
        "## Workload",
        "",
        f"{wl['objects']:,} stored objects ({wl['zones']:,} zones, {wl['operations']:,} "
        f"proposed operations; {wl['volumes']:,} volumes: {wl['circle_volumes']:,} circles, "
        f"{wl['polygon_volumes']:,} polygons, {wl['corridor_volumes']:,} corridors; "
        f"{wl['buffered_objects']:,} objects with a buffer; {wl['open_ended_volumes']:,} "
        f"open-ended volumes), seed {p['seed']}, over lat 12–42, lon 25–63 in March 2025. "
        f"{p['checks']:,} checked operations ({wl['check_volumes']:,} volumes), 60 % of them "
        f"near hotspots; {p['warmup_checks']} other operations warm each contender up first.",
    ]


def _latency_md(r: dict[str, Any]) -> list[str]:
    e, p, wl = r["engine"], r["parameters"], r["workload"]
    lines = [
        "## Latency per check (ms)",
        "",
        f"Best of {p['repeat']} passes per check (the engine on new operation objects each "
        "pass); the first pass alone for comparison. The shapely loop ran once. The machine "
        "is shared: a check preempted by another process is charged a whole time slice "
        "(several ms), which lands on a different 1–2 % of checks in each pass; the best "
        "pass and the thread CPU time leave that out.",
        "",
        "| contender | checks | p50 | p90 | p99 | max | mean |",
        "|---|---:|---:|---:|---:|---:|---:|",
        _lat_row("engine (in-process)", e["latency"]),
        _lat_row("engine, first pass only", e["latency_first_pass"]),
        _lat_row("engine, thread CPU time (best)", e["cpu_time"]),
    ]
    for name, label in _PG_LABELS.items():
        if name in r:
            lines.append(_lat_row(label, r[name]["latency"]))
            lines.append(_lat_row(f"{label}, first pass only", r[name]["latency_first_pass"]))
    s = r["shapely"]
    lines += [
        _lat_row("shapely loop (subsample)", s["latency"]),
        _lat_row("engine on the same subsample", s["engine_latency_same_checks"]),
        "",
        f"Engine build: {e['build_s']:.1f} s for {wl['objects']:,} objects. "
        f"Conflicts found by the engine: {e['conflicts']:,} "
        f"({e['checks_with_conflicts']:,} of {p['checks']:,} checks have at least one; "
        f"at most {e['max_conflicts_per_check']} in one check).",
    ]
    if "postgis" in r:
        pg = r["postgis"]
        settings = ", ".join(f"{k}={v}" for k, v in pg["settings"].items()
                             if k not in ("postgis", "postgresql"))
        lines += [
            "",
            f"PostGIS: {pg['settings'].get('postgresql')}, PostGIS "
            f"{pg['settings'].get('postgis')}; server start {pg['server_start_s']:.1f} s, "
            f"copy {pg['copy_s']:.1f} s, geography conversion {pg['convert_s']:.1f} s, "
            f"indexes {pg['index_s']:.1f} s; conflicts found {pg['conflicts']:,}. "
            f"Settings: {settings}. Query geographies were converted before timing (a "
            "16-segment `ST_Buffer` for circles and corridors), so the PostGIS times are the "
            "search alone. The `ST_Distance <=` variant finds "
            f"{r['postgis_distance']['conflicts']:,} conflicts "
            f"({r['postgis_distance']['pairs_differing_from_postgis']} pairs differ from "
            "`ST_DWithin`).",
        ]
    names = ["engine", *(n for n in VARIANTS if n in r)]
    lines += [
        "",
        "By the number of conflicts the engine finds in a check (p50 / p99, ms):",
        "",
        "| conflicts | checks | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for row in r["by_conflicts"]:
        cells = [f"{_ms(row[n]['p50_ms'])} / {_ms(row[n]['p99_ms'])}" for n in names]
        lines.append(f"| {row['conflicts']} | {row['checks']} | " + " | ".join(cells) + " |")
    return lines


def _floor_md(r: dict[str, Any]) -> list[str]:
    lines = ["## Ratios and the issue's floor", ""]
    for k, v in r["ratios"].items():
        lines.append(f"- {k.replace('_', ' ')}: **{v:,.2f}×**")
    f = r["floor"]
    lines.append(f"- p99 ≤ {f['p99_limit_ms']} ms in-process: "
                 f"**{'met' if f['p99_within_limit'] else 'NOT met'}** ({f['p99_ms']:.3f} ms)")
    if "faster_than_postgis_p50" in f:
        lines.append(
            f"- faster than PostGIS: p50 **{'yes' if f['faster_than_postgis_p50'] else 'no'}**, "
            f"p99 **{'yes' if f['faster_than_postgis_p99'] else 'no'}**"
        )
    lines.append(f"- floor met overall: **{f['met']}**")
    return lines


def _agreement_md(r: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, name in (("engine_vs_postgis", "PostGIS"), ("engine_vs_shapely", "shapely")):
        if key not in r:
            continue
        c, low = r[key], name.lower()
        lines += [
            f"## Engine vs {name}: conflicting volume pairs",
            "",
            f"Both: {c['both']:,}; engine only: {c['engine_only']:,}; {name} only: "
            f"{c[f'{low}_only']:,}; agreement (Jaccard) {c['agreement']:.4f}.",
            "",
            "Every disagreement, judged by the exact separation "
            "(`deconfliction.core.distance.separation` without a limit):",
            "",
        ]
        for why in (c["why_engine_only"], c[f"why_{low}_only"]):
            lines += [f"- {n:,} × {reason}" for reason, n in why.items()]
        if not c["examples"]:
            lines += ["- none: both found exactly the same pairs", ""]
            continue
        lines += [
            "",
            "A sample, each also measured by an independent referee (dense GeographicLib "
            "sampling of both outlines in a local azimuthal equidistant projection, "
            "`bench/verify.py`; negative = width of the overlap)"
            + (" and by PostGIS's own `ST_Distance` on its polygons" if name == "PostGIS" else "")
            + ":",
            "",
            *_examples(c["examples"], name == "PostGIS"),
            "",
        ]
    return lines


def _profile_md(r: dict[str, Any]) -> list[str]:
    if "profile" not in r:
        return []
    pr = r["profile"]
    lines = ["## Where the engine's time goes", ""]
    if "breakdown" in pr:
        rows = pr["breakdown"]
        lines += [
            "Timed by wrapping the engine's parts with `perf_counter` (one more pass on new "
            "operation objects; the wrappers add well under 1 µs a call). Shares of the total "
            "time in `ConflictIndex.check`:",
            "",
            "| part | calls | total ms | µs per call | % of check |",
            "|---|---:|---:|---:|---:|",
        ]

        def walk(parent: str | None, depth: int) -> None:
            for x in rows:
                if x["parent"] == parent:
                    per = "" if x["us_per_call"] is None else f"{x['us_per_call']:,.1f}"
                    calls = "" if x["calls"] is None else f"{x['calls']:,}"
                    lines.append(f"| {'&nbsp;' * 4 * depth}{x['part']} | {calls} | "
                                 f"{1e3 * x['s']:,.1f} | {per} | {x['pct']:.1f} |")
                    walk(x["part"], depth + 1)

        walk(None, 0)
        lines.append("")
    lines += [
        f"{pr['tool']}, on another pass; shares of the time inside `ConflictIndex.check` "
        f"({pr['check_total_s']:.2f} s under the profiler for all checks).",
        "",
        "| part | calls | cumulative % |",
        "|---|---:|---:|",
    ]
    for x in pr["parts"]:
        label = x["part"].strip()
        indent = "&nbsp;" * (len(x["part"]) - len(x["part"].lstrip()))
        lines.append(f"| {indent}`{label}` | {x['calls']:,} | {x['cum_pct']:.1f} |")
    lines += ["", "Top self time:", "", "| function | calls | self % |", "|---|---:|---:|"]
    lines += [f"| `{x['function']}` | {x['calls']:,} | {x['self_pct']:.1f} |"
              for x in pr["top_self"][:12]]
    return [*lines, ""]


def markdown(r: dict[str, Any]) -> str:
    m, src = r["machine"], r["source"]
    lines = [
        "# Conflict check benchmark",
        "",
        f"Issue: *{r['issue']}*. Generated by `bench/bench_check.py` on {r['date']} "
        f"in {r['elapsed_s']:.0f} s.",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory']}; load average "
        f"{m['load_average_at_start'][0]:.2f} at the start, {m['load_average_at_end'][0]:.2f} "
        f"at the end (the machine is shared). Python {m['python']}, numpy {m['numpy']}, "
        f"shapely {m['shapely']} (GEOS {m['geos']}), pyproj {m['pyproj']}.",
        f"Engine: commit `{src['commit'][:12]}`, core hash `{src['core_sha256']}`; "
        + ("the core measured is exactly that commit's." if src["same_as_commit"] else
           f"the core measured differs from that commit (modified in the working tree: "
           f"{src['core_modified'] or 'none'}; package {src['package']})."),
        "",
        *_workload_md(r),
        "",
        *_latency_md(r),
        "",
        *_floor_md(r),
        "",
        *_agreement_md(r),
        *_profile_md(r),
        "## Slowest engine checks",
        "",
        "| check | ms | shape | radius m | vertices | volumes | conflicts |",
        "|---|---:|---|---:|---:|---:|---:|",
        *(f"| {x['check']} | {x['ms']:.2f} | {x['shape']} | {x['radius_m']:,.0f} | "
          f"{x['vertices']} | {x['volumes']} | {x['conflicts']} |"
          for x in r["slowest_engine_checks"]),
    ]
    for name, label in _PG_LABELS.items():
        if name in r:
            lines += ["", f"## The {label} query", "", "```sql", r[name]["query"], "```", "",
                      "Plan of the check with the most conflicts:", "", "```",
                      r[name]["plan_example"], "```"]
    return "\n".join(lines) + "\n"


def summary(r: dict[str, Any]) -> str:
    e = r["engine"]["latency"]

    def line(lat: dict[str, float]) -> str:
        return (f"p50 {lat['p50_ms']:.3f} ms  p90 {lat['p90_ms']:.3f}  p99 {lat['p99_ms']:.3f}"
                f"  max {lat['max_ms']:.3f}  mean {lat['mean_ms']:.3f}")

    out = [
        "",
        f"== check benchmark: {r['parameters']['objects']:,} objects, "
        f"{r['parameters']['checks']:,} checks, best of {r['parameters']['repeat']}",
        f"engine : {line(e)}  ({r['engine']['conflicts']} conflicts)",
        f"  (cpu): {line(r['engine']['cpu_time'])}  (thread CPU time, best pass)",
    ]
    if "postgis" in r:
        c = r["engine_vs_postgis"]
        out += [
            f"postgis: {line(r['postgis']['latency'])}  ({r['postgis']['conflicts']} conflicts)",
            f"pg dist: {line(r['postgis_distance']['latency'])}  (ST_Distance <= variant)",
            f"         pairs: both {c['both']}, engine-only {c['engine_only']}, "
            f"postgis-only {c['postgis_only']}",
        ]
        out += [f"         {n} x {why}" for d in (c["why_engine_only"], c["why_postgis_only"])
                for why, n in d.items()]
    c = r["engine_vs_shapely"]
    out += [
        f"shapely: {line(r['shapely']['latency'])}  on {r['shapely']['checks']} checks; "
        f"engine-only {c['engine_only']}, shapely-only {c['shapely_only']}",
        "ratios : " + ", ".join(f"{k} {v:.1f}x" for k, v in r["ratios"].items()),
        f"floor  : p99 <= {FLOOR_P99_MS} ms {r['floor']['p99_within_limit']}; "
        f"met {r['floor']['met']}",
    ]
    return "\n".join(out)
