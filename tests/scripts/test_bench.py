"""scripts/bench.py runs end to end at tiny sizes (its correctness, not the machine's speed)."""

import json
import subprocess
import sys
from pathlib import Path

import lightning as L
import pytest

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
        "predict_startup",
    } <= set(results)
    assert [row["workload"] for row in results["workloads"]] == list(bench.WORKLOADS)
    for row in results["workloads"]:
        unit = row["unit"]
        # the zoo's timer counts whole batches (bundles of steps_per_batch steps), the raw loop
        # takes as many steps between them
        assert row["steps"] <= row["zoo"]["steps"] < row["steps"] + row["steps_per_batch"], row
        assert row["raw"]["steps"] == row["zoo"]["steps"]
        assert row["timing"] == "interleaved, paired median"
        for side in ("raw", "zoo"):
            assert row[side]["seconds"] > 0 and row[side][f"{unit}_per_s"] > 0
        low, high = row["ratio_quartiles"]
        assert 0 < low <= row["ratio"] <= high
        assert row["mfu"] is None  # no GPU: no MFU
    gpt = next(row for row in results["workloads"] if row["workload"] == "gpt")
    assert gpt["flops_per_token"] > 6 * 16 * 16  # at least 6N for a net of more than d_model² weights
    startup = results["predict_startup"]
    assert startup["runs"] == 1 and startup["predict_s"] > 0 and startup["import_torch_s"] > 0
    assert startup["ratio"] == startup["predict_s"] / startup["import_torch_s"]
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


def test_paired_ratios_cancel_the_machines_drift_and_weigh_pairs_by_their_steps():
    # the machine's speed moves threefold between pairs; within each, the zoo is 1.25× slower
    speeds = [1.0, 3.0, 1.0, 2.0, 3.0]
    raw = [(10, 10 * s) for s in speeds]
    zoo = [(10, 12.5 * s) for s in speeds]
    assert bench.paired_ratios(zoo, raw) == {"q1": 0.8, "median": 0.8, "q3": 0.8}
    # a pair of 30 steps outweighs two of 10 (a bundle against the short ones at an epoch's end)
    pairs = bench.paired_ratios([(30, 30.0), (10, 10.0), (10, 10.0)], [(30, 15.0), (10, 20.0), (10, 20.0)])
    assert pairs["median"] == 0.5 and pairs["q3"] == 2.0
    with pytest.raises(ValueError, match="3 zoo intervals but 2 raw"):
        bench.paired_ratios(zoo[:3], raw[:2])


class RecordingRawLoop:
    """Stands in for the raw loop: records the zoo's global step at each call instead of stepping."""

    def __init__(self):
        self.trainer: L.Trainer | None = None
        self.calls: list[tuple[int, int]] = []  # (the zoo's global step, steps asked for)

    def timed(self, steps: int) -> float:
        self.calls.append((self.trainer.global_step, steps))
        return 0.001 * steps


def test_the_raw_loop_alternates_between_after_and_before_the_zoos_batches(tmp_path, monkeypatch):
    raw = RecordingRawLoop()

    class SeeTrainer(L.Callback):
        def on_train_start(self, trainer, pl_module):
            raw.trainer = trainer

    from zoo.commands import train as train_command

    real_train = train_command.train
    monkeypatch.setattr(
        train_command, "train", lambda cfg, extra_callbacks: real_train(cfg, [SeeTrainer(), *extra_callbacks])
    )
    cfg = bench.compose_workload("mlp_digits", "cpu", True, 80, 2, tmp_path)
    run = bench.zoo_run(cfg, 2, 80, raw)
    ends, step = [], raw.calls[0][0] - run["intervals"][0][0]  # where the first timed interval starts
    for steps, _ in run["intervals"]:
        ends.append((step, step + steps))
        step += steps
    expected = [(end if index % 2 == 0 else start, end - start) for index, (start, end) in enumerate(ends)]
    assert len(expected) >= 3 and raw.calls == expected
    assert run["raw"]["intervals"] == [(steps, 0.001 * steps) for _, steps in raw.calls]
