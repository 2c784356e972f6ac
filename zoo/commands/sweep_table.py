"""The table a sweep ends with: one row per job, best first by the monitored validation metric,
failed jobs last; printed and written to <sweep dir>/sweep.csv."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def sweep_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per job, best first (by the monitored validation metric, in its direction),
    failed jobs last."""
    rows = []
    for result in results:
        summary = result.get("summary") or {}
        monitor = str(summary.get("monitor") or "")
        test_name = monitor.replace("val/", "test/")
        rows.append(
            {
                "job": result["job"],
                "status": "ok" if result["status"] == "ok" else f"failed: {result['error']}",
                "overrides": " ".join(result["overrides"]),
                "monitor": monitor,
                "best_val": summary.get("best_val"),
                "test_metric": test_name if test_name in summary.get("test", {}) else "",
                "test_value": summary.get("test", {}).get(test_name),
                "run_dir": summary.get("run_dir", ""),
                "mode": summary.get("monitor_mode", "min"),
            }
        )

    def rank(row: dict[str, Any]) -> tuple[int, float]:
        if row["best_val"] is None:
            return (1, 0.0)
        return (0, -row["best_val"] if row["mode"] == "max" else row["best_val"])

    return sorted(rows, key=rank)


def print_sweep(results: list[dict[str, Any]]) -> None:
    """The sweep's table, best job first: printed, and written to <sweep dir>/sweep.csv."""
    # rich loads when a table is printed, not on `zoo --help`
    from rich.table import Table

    # zoo.commands.common imports rich: loaded when a run folder is locked, not on `zoo --help`
    from zoo.commands.common import console, format_value

    rows = sweep_rows(results)
    common = set.intersection(*(set(result["overrides"]) for result in results))
    title = f"sweep: {len(results)} jobs, best first"
    if common:  # the table shows what differs between the jobs
        title += f" (all with: {' '.join(o for o in results[0]['overrides'] if o in common)})"
    table = Table(title=title, title_justify="left")
    for column in ("job", "overrides", "status", "best val metric", "test metric"):
        table.add_column(column, overflow="fold")
    for row in rows:
        best = f"{row['monitor']} {format_value(row['best_val'])}" if row["best_val"] is not None else ""
        test = f"{row['test_metric']} {format_value(row['test_value'])}" if row["test_metric"] else ""
        differing = " ".join(o for o in row["overrides"].split() if o not in common)
        table.add_row(str(row["job"]), differing, row["status"], best, test)
    console.print(table)
    sweep_dir = next((result["sweep_dir"] for result in results if result.get("sweep_dir")), None)
    if sweep_dir:
        path = Path(sweep_dir) / "sweep.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = [
            "job",
            "status",
            "overrides",
            "monitor",
            "best_val",
            "test_metric",
            "test_value",
            "run_dir",
        ]
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        console.print(f"sweep table written to {path}")
