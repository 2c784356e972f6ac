"""scripts/reproduce.py runs presets, their claims' contrasting runs, and writes RESULTS.md."""

from pathlib import Path

from scripts import reproduce


def test_reproduce_writes_the_results_and_claims_tables_and_says_what_it_skipped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the runs and the file go here
    output = tmp_path / "docs" / "RESULTS.md"
    code = reproduce.main(
        [
            "--tiny",
            "--only",
            "xor_mlp,claim_per_example_sgd,lenet5_mnist",
            "--output",
            str(output),
            "--runs",
            "runs",
        ]
    )
    assert code == 0
    text = output.read_text()
    assert "| experiment | command | metric | reached | expected | met | wall time | plots |" in text
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "`zoo train experiment=xor_mlp`" in rows["xor_mlp"] and "| test/acc |" in rows["xor_mlp"]
    assert "[decision_boundary](../runs/xor_mlp/plots/decision_boundary.png)" in rows["xor_mlp"]
    assert (tmp_path / "runs" / "xor_mlp" / "plots" / "decision_boundary.png").is_file()
    # the claims: each with its contrasting run, which ran in its own folder
    assert "| XOR needs a hidden layer | xor_mlp | test/acc " in text
    assert "`model.net.hidden=[]` | test/acc " in text
    assert "`data.batch_size=2000` | test/acc " in text
    assert (tmp_path / "runs" / "claim_per_example_sgd_contrast" / "summary.json").is_file()
    # MNIST is not on disk here: listed, with the reason, not run
    assert "| lenet5_mnist | data not present" in text
    assert not Path(tmp_path / "runs" / "lenet5_mnist").exists()


def test_an_unknown_experiment_is_one_clear_error(capsys):
    assert reproduce.main(["--only", "xor_mlpp"]) == 2
    assert "unknown experiment 'xor_mlpp'" in capsys.readouterr().err
