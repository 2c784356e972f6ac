"""The GPT-2 shape of the Transformer language model: one Q/K/V matrix gives the numbers the three
do (and the written-out attention, the reference, agrees), GPT-2's initialisation has the stated
scales, GELU and bias-free layers are what they say, and weight decay reaches only matrices."""

import math

import pytest
import torch
from torch import nn

from zoo.models.transformer import TransformerLanguageModel
from zoo.training.optim import parameter_groups

GPT = {"activation": "gelu", "bias": False, "fused_qkv": True, "init": "gpt2"}


def fused_copy(separate: TransformerLanguageModel, **options) -> TransformerLanguageModel:
    """A fused-QKV model holding `separate`'s weights ([W_Q; W_K; W_V] stacked)."""
    fused = TransformerLanguageModel(65, 32, 4, 64, 2, 0.0, 16, fused_qkv=True, **options)
    weights = {}
    for key, value in separate.state_dict().items():
        if ".W_Q." in key:
            parts = [separate.state_dict()[key.replace("W_Q", name)] for name in ("W_Q", "W_K", "W_V")]
            weights[key.replace("W_Q", "W_QKV")] = torch.cat(parts)
        elif ".W_K." not in key and ".W_V." not in key:
            weights[key] = value
    fused.load_state_dict(weights)
    return fused


@pytest.mark.parametrize("implementation", ["fast", "written"])
def test_one_qkv_matrix_gives_the_numbers_of_three(implementation):
    torch.manual_seed(0)
    separate = TransformerLanguageModel(65, 32, 4, 64, 2, 0.0, 16, implementation="written")
    fused = fused_copy(separate, implementation=implementation)
    tokens = torch.randint(1, 65, (3, 16))
    torch.testing.assert_close(fused(tokens)[0], separate(tokens)[0], atol=1e-5, rtol=1e-5)
    # and generation through the key/value cache, one token at a time
    logits, state = fused(tokens[:, :10])
    step, _ = fused(tokens[:, 10:11], state)
    torch.testing.assert_close(step[:, -1], separate(tokens[:, :11])[0][:, -1], atol=1e-5, rtol=1e-5)


def test_gpt2_initialisation_scales_the_residual_projections_by_depth():
    torch.manual_seed(0)
    layers = 8
    model = TransformerLanguageModel(500, 256, 4, 1024, layers, 0.0, 64, **GPT)
    residual = 0.02 / math.sqrt(2 * layers)
    for name, parameter in model.named_parameters():
        if name.endswith(("W_O.weight", "feed_forward.3.weight")):
            assert parameter.std().item() == pytest.approx(residual, rel=0.05), name
        elif parameter.ndim == 2:
            assert parameter.std().item() == pytest.approx(0.02, rel=0.05), name
    assert not [name for name, _ in model.named_parameters() if name.endswith(".bias")]  # bias=False
    assert model.embedding.scale == 1.0  # GPT-2 does not scale the embeddings by √d_model
    assert isinstance(model.layers[0].feed_forward[1], nn.GELU)
    assert model.output.weight is model.embedding.tokens.weight  # tied


def test_weight_decay_reaches_matrices_only():
    model = TransformerLanguageModel(65, 32, 4, 64, 2, 0.0, 16, **{**GPT, "bias": True})
    decayed, kept = parameter_groups(model.named_parameters(), 0.1)
    assert all(p.ndim == 2 for p in decayed["params"]) and decayed["weight_decay"] == 0.1
    assert all(p.ndim == 1 for p in kept["params"]) and kept["weight_decay"] == 0.0
    assert len(kept["params"]) > 0  # biases and layer-norm gains


def test_unknown_choices_are_refused():
    with pytest.raises(ValueError, match="init must be one of default, gpt2"):
        TransformerLanguageModel(65, init="xavier")
    with pytest.raises(ValueError, match="activation must be one of relu, gelu"):
        TransformerLanguageModel(65, activation="tanh")
