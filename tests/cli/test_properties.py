"""Property-based: whatever value an override or a predict input takes, the zoo answers with a
result or one clear error (ZooError), never another exception."""

import copy

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import compose_train
from zoo.commands.preflight import preflight
from zoo.errors import ZooError

# what a user might type after `key=`: numbers of any sign and size, words, lists, junk
VALUES = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["", "null", "true", "abc", "[1,2]", "{a: 1}", "1e-3", "-0.0", "nan", "inf", "1,2", "'x'"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
KEYS = ["optimizer.lr", "data.batch_size", "trainer.max_epochs", "model.net.hidden", "model.output",
        "data.val_fraction", "seed", "optimizer.momentum"]  # fmt: skip


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
@settings(max_examples=30, deadline=None)  # each example composes the config (about a second)
@given(key=st.sampled_from(KEYS), value=VALUES)
def test_any_override_value_is_accepted_or_one_clear_error(key, value):
    try:
        preflight("train", ["model=mlp", "data=digits", f"{key}={value}"])
    except ZooError as error:
        assert str(error) and "\n" not in str(error).strip()


@pytest.fixture(scope="module")
def predict_config(tmp_path_factory):
    """The predict config for a digits classifier's checkpoint, input still to be set."""
    from zoo.commands.train import train
    from zoo.registry import compose

    folder = tmp_path_factory.mktemp("properties")
    checkpoint = train(compose_train(["data=digits", "trainer.max_epochs=1"], folder / "run"))[
        "best_checkpoint"
    ]
    return compose("predict", [f"ckpt_path={checkpoint}", f"paths.output_dir={folder}"])


INPUTS = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=70),
    st.lists(st.lists(st.integers(-5, 20), min_size=0, max_size=66), max_size=3),
    st.text(max_size=30),
    st.lists(st.text(max_size=3), max_size=4),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=INPUTS)
@example(source="\n0")  # found by hypothesis in CI: a line break in the file name made two lines
def test_any_predict_input_gives_predictions_or_one_clear_error(predict_config, source):
    from zoo.commands.predict import predict

    cfg = copy.deepcopy(predict_config)
    cfg.input = source
    try:
        predictions = predict(cfg)
    except ZooError as error:
        assert str(error) and "\n" not in str(error).strip()
    else:
        assert predictions and all(0.0 <= p["probability"] <= 1.0 for p in predictions)
