"""scripts/bench.py runs end to end at tiny sizes (its correctness, not the machine's speed)."""

import json
import subprocess
import sys
from pathlib import Path

from scripts import bench

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_every_workload_and_writes_every_field(tmp_path):
    output = tmp_path / "bench.json"
    bench.main(["--tiny", "--device", "cpu", "--json", str(output), "--out", str(tmp_path / "runs")])
    results = json.loads(output.read_text())
    assert {
        "device",
        "threads",
        "torch",
        "bf16_peak_tflops",
        "warmup",
        "workloads",
        "generation",
    } <= set(results)
    assert [row["workload"] for row in results["workloads"]] == list(bench.WORKLOADS)
    for row in results["workloads"]:
        unit = row["unit"]
        # the zoo's timer counts whole batches (bundles of steps_per_batch steps), the raw loop
        # takes as many steps between them
        assert row["steps"] <= row["zoo"]["steps"] < row["steps"] + row["steps_per_batch"], row
        assert row["raw"]["steps"] == row["zoo"]["steps"]
        assert row["timing"] == "interleaved, median step"
        for side in ("raw", "zoo"):
            assert row[side]["seconds"] > 0 and row[side][f"{unit}_per_s"] > 0
        assert row["ratio"] == row["zoo"]["steps_per_s"] / row["raw"]["steps_per_s"]
        assert row["mfu"] is None  # no GPU: no MFU
    gpt = next(row for row in results["workloads"] if row["workload"] == "gpt")
    assert gpt["flops_per_token"] > 6 * 16 * 16  # at least 6N for a net of more than d_model² weights
    generation = results["generation"]
    assert (
        generation["same_tokens"]
        and generation["cached_tokens_per_s"] > 0
        and generation["reread_tokens_per_s"] > 0
    )


def test_bench_runs_from_a_checkout_and_names_an_unknown_workload():
    result = subprocess.run(
        [sys.executable, "scripts/bench.py", "--workloads", "alexnet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown workload(s) alexnet" in result.stderr
