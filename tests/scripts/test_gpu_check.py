"""scripts/gpu_check.py end to end on the CPU (--dry-run): every GPU preset on stand-in data of its
shapes, bench.py at tiny sizes, the table and the JSON report - the script known to work before a
GPU is started."""

import json

import pytest

from scripts import gpu_check


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_the_dry_run_checks_every_gpu_preset_and_writes_the_report(tmp_path, capsys):
    report_file = tmp_path / "report.json"
    code = gpu_check.main(["--dry-run", "--out", str(tmp_path / "runs"), "--json", str(report_file)])
    printed = capsys.readouterr().out
    report = json.loads(report_file.read_text())
    rows = {row["preset"]: row for row in report["presets"]}
    assert set(rows) == set(gpu_check.gpu_presets()) and len(rows) >= 10
    failed = {name: row.get("error") for name, row in rows.items() if not row["ok"]}
    assert code == 0 and not failed, failed
    assert all(row["data"] == "stand-in" and row["checkpoint"] and row["predicted"] for row in rows.values())
    assert "channels-last" in rows["resnet18_cifar10"]["features"]
    assert "fused optimizer" in rows["gpt2_small_wikitext103"]["features"]
    assert report["bench"]["generation"]["same_tokens"] and report["environment"]["torch"]
    assert f"{len(rows)} of {len(rows)} presets passed every check" in printed
