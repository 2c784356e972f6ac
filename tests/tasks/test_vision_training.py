def test_lenet5_on_the_offline_digits_reaches_97_percent_within_a_minute(train_run):
    summary = train_run(["experiment=lenet5_digits"])
    assert summary["test"]["test/acc"] >= 0.97
    assert summary["wall_time_s"] < 60
