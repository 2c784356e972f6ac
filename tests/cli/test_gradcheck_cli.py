from tests.conftest import run_zoo


def test_zoo_gradcheck_passes_for_zoo_models_and_reports_the_error(tmp_path):
    for args in (["model=mlp", "data=xor", "model.net.activation=tanh"], ["model=lstm_lm", "data=grammar"]):
        result = run_zoo(["gradcheck", *args, "samples=20"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "worst relative error" in result.stdout and "passed" in result.stdout


def test_zoo_gradcheck_fails_loudly_when_the_step_is_too_coarse(tmp_path):
    result = run_zoo(["gradcheck", "model=mlp", "data=xor", "model.net.activation=tanh", "eps=0.5"], tmp_path)
    assert result.returncode != 0 and "gradient check failed" in result.stderr
