"""Render the runner's results as the Markdown tables of docs/benchmarks.md."""

from typing import Any

UPLOAD_MEDIAN_LIMIT_MS = 150
P99_LIMIT_MS = 50


def _errors(row: dict[str, Any]) -> int:
    return int(row["non_2xx"] + row["ret_errors"] + row["socket_errors"])


def _target(row: dict[str, Any], rows: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """Return the target of an endpoint and whether the row meets it."""
    floor = rows["django_floor"]["rps"] or 1
    name = row["endpoint"]
    ratio = row["rps"] / floor
    if name in {"province", "hospital"}:
        return "≥ 80% of Django floor", _mark(ratio >= 0.8)
    if name == "mypatien":
        fast = rows["fast_path"]["rps"] or 1
        met = row["rps"] >= 0.9 * fast and row["p99_ms"] < P99_LIMIT_MS
        return (
            f"≥ 90% of fast path ({row['rps'] / fast:.0%}), p99 < 50 ms",
            _mark(met),
        )
    if name == "patientsdetail":
        met = ratio >= 0.4 and row["p99_ms"] < P99_LIMIT_MS
        return "≥ 40% of Django floor, p99 < 50 ms", _mark(met)
    if name == "ordersubmit":
        # Rows beyond the ret 0 count are requests in flight when wrk
        # stopped; a lost order is a ret 0 without its row.
        lost = max(row["ok"] - row["orders_created"], 0)
        met = _errors(row) == 0 and lost == 0
        return (
            f"no error, no lost order ({row['ok']} ret 0, "
            f"{row['orders_created']} new rows, {lost} lost)",
            _mark(met),
        )
    if name == "upload":
        return "memory bounded, 8 at once (see below)", ""
    return "", ""


def _mark(met: bool) -> str:
    return "met" if met else "**missed**"


def endpoint_table(report: dict[str, Any]) -> list[str]:
    rows = {row["endpoint"]: row for row in report["endpoints"]}
    floor = rows["django_floor"]["rps"] or 1
    # The floor's CPU time over the endpoint's: the throughput ratio that a
    # CPU-bound server would reach, less sensitive to other load on the host.
    floor_cpu = rows["django_floor"]["cpu_ms_per_request"]
    lines = [
        "| endpoint | conns | req/s | p50 ms | p99 ms | errors | peak RSS/worker "
        "MiB | CPU ms/req | × Django floor | × floor by CPU | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- "
        "| --- |",
    ]
    for row in report["endpoints"]:
        target, result = _target(row, rows)
        lines.append(
            f"| {row['endpoint']} | {row['connections']} | {row['rps']:,.0f} | "
            f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {_errors(row)} | "
            f"{row['peak_rss_mib']:.0f} | {row['cpu_ms_per_request']:.2f} | "
            f"{row['rps'] / floor:.2f} | "
            f"{floor_cpu / (row['cpu_ms_per_request'] or 1):.2f} | "
            f"{target} | {result} |"
        )
    return lines


def sweep_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| server | endpoint | req/s | p50 ms | p99 ms | errors | CPU ms/req |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['server']} | {row['endpoint']} | {row['rps']:,.0f} | "
            f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {_errors(row)} | "
            f"{row['cpu_ms_per_request']:.2f} |"
        )
    return lines


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Run {machine['date']}: `{results['command']}`",
        "",
        f"- nproc: {machine['nproc']}; Python {machine['python']}; "
        f"SQLite {machine['sqlite']}; {machine['wrk']}",
        f"- uname: `{machine['uname']}`",
        f"- uptime before: `{machine['uptime']}`",
        f"- uptime after: `{machine.get('uptime_after', '')}`",
        f"- packages: {', '.join(machine['packages'])}",
        "",
        "```",
        machine["free"],
        "```",
    ]
    for backend, report in results["backends"].items():
        fixture = report["fixture"]
        lines += [
            "",
            f"### {backend}",
            "",
            f"Data: {fixture['rows']} (generated in {fixture['generate_seconds']} s).",
            "",
            *endpoint_table(report),
        ]
        upload = report["upload_processing"]
        met = _mark(upload["median_ms"] < UPLOAD_MEDIAN_LIMIT_MS)
        lines += [
            "",
            f"Upload processing alone (`process_image`, {upload['bytes']:,} byte "
            f"JPEG, {upload['repeats']} runs): median {upload['median_ms']} ms, "
            f"max {upload['max_ms']} ms, target < 150 ms: {met}.",
        ]
        if report.get("durability"):
            durability = report["durability"]
            lines.append(
                f"SQLite journal_mode={durability['journal_mode']}, "
                f"synchronous={durability['synchronous']} (2 is FULL)."
            )
        if report.get("sweep"):
            lines += [
                "",
                f"Server layouts on {backend}:",
                "",
                *sweep_table(report["sweep"]),
            ]
    return "\n".join(lines) + "\n"
