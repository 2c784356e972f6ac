"""The written-out Transformer against the fused kernel, and the properties the course states:
causality, padding invariance, and permutation equivariance without positional embeddings."""

import pytest
import torch

from zoo.course.gradcheck import gradient_check
from zoo.models.decoding import beam_search, greedy_decode
from zoo.models.transformer import (
    MultiHeadAttention,
    TransformerEncoder,
    TransformerEncoderDecoder,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)

BOS, EOS = 2, 3


def twins(norm_first=False, positions="sinusoidal", **sizes):
    """The same weights in a fast and a written-out encoder-decoder (dropout off)."""
    torch.manual_seed(0)
    options = dict(
        d_model=16, heads=4, d_ff=32, num_layers=2, dropout=0.0, positions=positions, norm_first=norm_first
    )
    fast = TransformerEncoderDecoder(20, 18, implementation="fast", **options, **sizes).eval()
    written = TransformerEncoderDecoder(20, 18, implementation="written", **options, **sizes).eval()
    written.load_state_dict(fast.state_dict())
    return fast, written


def batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([7, 3, 5])
    src = torch.randint(4, 20, (3, 7), generator=generator)
    src[torch.arange(7)[None] >= lengths[:, None]] = 0
    tgt = torch.randint(4, 18, (3, 6), generator=generator)
    return src, lengths, tgt


@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding"])
def test_written_attention_equals_the_fused_kernel(mask_kind):
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 4, 6, 8), torch.randn(3, 4, 6, 8), torch.randn(3, 4, 6, 8)
    mask = {"none": None, "causal": causal_mask(6), "padding": padding_mask(torch.tensor([6, 2, 4]), 6)}[
        mask_kind
    ]
    fast, _ = scaled_dot_product_attention(q, k, v, mask)
    written, weights = scaled_dot_product_attention(q, k, v, mask, written=True)
    assert (fast - written).abs().max() < 1e-5
    assert torch.allclose(weights.sum(-1), torch.ones(3, 4, 6))
    if mask is not None:
        assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()


@pytest.mark.parametrize("norm_first", [False, True])
def test_written_transformer_equals_the_fast_path(norm_first):
    fast, written = twins(norm_first)
    src, lengths, tgt = batch()
    with torch.no_grad():
        difference = (fast(src, lengths, tgt)[0] - written(src, lengths, tgt)[0]).abs().max()
    assert difference < 1e-5


def test_heads_are_concatenated_then_projected():
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2, implementation="written")
    x = torch.randn(1, 5, 8)
    out, _ = attention(x, x)
    q, k, v = (w(x).view(1, 5, 2, 4).transpose(1, 2) for w in (attention.W_Q, attention.W_K, attention.W_V))
    heads = [torch.softmax(q[:, h] @ k[:, h].transpose(-2, -1) / 2.0, -1) @ v[:, h] for h in range(2)]
    assert torch.allclose(out, attention.W_O(torch.cat(heads, dim=-1)), atol=1e-6)


def test_a_future_token_never_changes_an_earlier_position():
    fast, _ = twins()
    src, lengths, tgt = batch()
    changed = tgt.clone()
    changed[:, 4] = 5
    with torch.no_grad():
        before, after = fast(src, lengths, tgt)[0], fast(src, lengths, changed)[0]
    assert torch.allclose(before[:, :4], after[:, :4], atol=1e-6)
    assert not torch.allclose(before[:, 4:], after[:, 4:])


def test_padding_never_changes_a_real_position():
    fast, _ = twins()
    src, lengths, tgt = batch()
    noisy = src.clone()
    noisy[src == 0] = 9  # other tokens where the padding was; the lengths say they are padding
    with torch.no_grad():
        assert torch.allclose(fast(src, lengths, tgt)[0], fast(noisy, lengths, tgt)[0], atol=1e-6)
        states = fast.encode(src, lengths)["states"], fast.encode(noisy, lengths)["states"]
    real = torch.arange(7)[None] < lengths[:, None]
    assert torch.allclose(states[0][real], states[1][real], atol=1e-6)


@pytest.mark.parametrize("positions", ["none", "sinusoidal", "learned"])
def test_only_positional_embeddings_make_the_encoder_see_order(positions):
    fast, _ = twins(positions=positions)
    x = torch.randint(4, 20, (2, 6))
    permutation = torch.tensor([3, 0, 5, 1, 4, 2])
    with torch.no_grad():
        encode = fast.encode
        plain = encode(x, torch.tensor([6, 6]))["states"]
        shuffled = encode(x[:, permutation], torch.tensor([6, 6]))["states"]
    equivariant = torch.allclose(plain[:, permutation], shuffled, atol=1e-5)
    assert equivariant == (positions == "none")


def test_written_attention_passes_gradient_checking():
    torch.manual_seed(0)
    attention = MultiHeadAttention(6, 2, implementation="written").double()
    x, context = torch.randn(2, 4, 6, dtype=torch.float64), torch.randn(2, 5, 6, dtype=torch.float64)
    mask = padding_mask(torch.tensor([5, 3]), 5)
    encoder = TransformerEncoder(6, 2, 12, 1, 0.0, True, "written").double()

    def loss():
        return attention(x, context, mask)[0].pow(2).sum() + encoder(x, causal_mask(4)).pow(3).sum()

    parameters = [*attention.parameters(), *encoder.parameters()]
    assert gradient_check(loss, parameters, num_samples=30)["worst_relative_error"] < 1e-6


def test_step_decoding_agrees_with_the_parallel_decoder():
    fast, _ = twins()
    src, lengths, _ = batch()
    greedy = greedy_decode(fast, src, lengths, 6, BOS, EOS)
    tgt_in = torch.cat([torch.full((3, 1), BOS), greedy.tokens[:, :-1]], dim=1)
    with torch.no_grad():
        logits, _ = fast(src, lengths, tgt_in)
    live = (torch.cumsum(greedy.tokens == EOS, 1) - (greedy.tokens == EOS).long()) == 0
    assert torch.equal(logits.argmax(-1)[live], greedy.tokens[live])
    beam = beam_search(fast, src, lengths, 6, BOS, EOS, beam_size=1)
    assert torch.equal(beam.tokens, greedy.tokens)


def language_model(**options):
    torch.manual_seed(0)
    from zoo.models.transformer import TransformerLanguageModel

    return TransformerLanguageModel(
        30, d_model=16, heads=2, d_ff=32, num_layers=2, dropout=0.0, **options
    ).eval()


def test_the_key_value_cache_gives_the_same_logits_as_rereading():
    net = language_model(context=32)
    tokens = torch.randint(4, 30, (2, 12))
    with torch.no_grad():
        full, _ = net(tokens)
        logits, state = net(tokens[:, :5])
        pieces = [logits]
        for t in range(5, 12):
            logits, state = net(tokens[:, t : t + 1], state)
            pieces.append(logits)
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)
    assert state.layers[0].keys.shape == (2, 2, 12, 8)  # layer 0's keys: (B, heads, tokens so far, d_k)


def test_cached_generation_equals_uncached_generation_token_for_token():
    from zoo.tasks import LanguageModel

    task = LanguageModel(
        {"_target_": "zoo.models.transformer.TransformerLanguageModel", "d_model": 16, "heads": 2,
         "d_ff": 32, "num_layers": 2, "dropout": 0.0, "context": 24}, vocab_size=30,
    ).eval()  # fmt: skip
    prompt = torch.randint(4, 30, (3, 4))
    cached = task.generate(prompt, 40, temperature=0)  # runs past the context: the sliding window
    uncached = prompt
    with torch.no_grad():
        for _ in range(40):
            logits, _ = task.net(uncached[:, -24:])
            uncached = torch.cat([uncached, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(cached, uncached)


def test_a_window_longer_than_the_context_is_refused():
    with pytest.raises(ValueError, match="exceeds the model's context of 8"):
        language_model(context=8)(torch.randint(4, 30, (1, 9)))
