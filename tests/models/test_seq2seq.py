"""Attention and the RNN encoder-decoder: the attention weights' properties, gradients, and the
decoders' agreement with each other (greedy, beam search, batched and alone)."""

import pytest
import torch

from zoo.course.gradcheck import gradient_check
from zoo.models.attention import SCORES, Attention
from zoo.models.decoding import beam_search, greedy_decode
from zoo.models.seq2seq import RNNEncoderDecoder

BOS, EOS = 2, 3


def padded_batch(lengths, vocab=14, seed=0):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    src = torch.randint(4, vocab, (len(lengths), int(lengths.max())), generator=generator)
    src[torch.arange(src.shape[1])[None] >= lengths[:, None]] = 0
    return src, lengths


@pytest.mark.parametrize("score", SCORES)
def test_attention_weights_are_a_distribution_over_real_tokens_only(score):
    torch.manual_seed(0)
    attention = Attention(score, 6, 6)
    s, h = torch.randn(4, 7, 6), torch.randn(4, 6)
    mask = torch.arange(7)[None] < torch.tensor([7, 3, 1, 5])[:, None]
    context, a = attention(h, s, mask)
    assert (a >= 0).all()
    assert torch.allclose(a.sum(-1), torch.ones(4))
    assert (a[~mask] == 0).all()  # exactly zero, not merely small
    assert torch.allclose(context, (a[..., None] * s).sum(1), atol=1e-6)  # c = Σ_j a_j s_j
    # padding states cannot change the context
    noisy = s.clone()
    noisy[~mask] = 100.0
    assert torch.allclose(attention(h, noisy, mask)[0], context, atol=1e-6)


def test_dot_score_is_the_course_inner_product():
    attention = Attention("dot", 3, 3)
    h, s = torch.tensor([[1.0, 0.0, 2.0]]), torch.tensor([[[1.0, 1.0, 1.0], [0.0, 5.0, 0.0]]])
    assert torch.equal(attention.scores(h, s), torch.tensor([[3.0, 0.0]]))
    _, a = attention(h, s, torch.ones(1, 2, dtype=torch.bool))
    assert torch.allclose(a, torch.softmax(torch.tensor([[3.0, 0.0]]), -1))


@pytest.mark.parametrize("score", SCORES)
def test_attention_passes_gradient_checking(score):
    torch.manual_seed(0)
    attention = Attention(score, 5, 5).double()
    h, s = (
        torch.randn(3, 5, dtype=torch.float64, requires_grad=True),
        torch.randn(3, 4, 5, dtype=torch.float64),
    )
    mask = torch.arange(4)[None] < torch.tensor([4, 2, 3])[:, None]

    def loss():
        context, _ = attention(h, s, mask)
        return (context * torch.arange(5.0, dtype=torch.float64)).pow(2).sum()

    parameters = [h, *attention.parameters()]
    assert gradient_check(loss, parameters, num_samples=25)["worst_relative_error"] < 1e-6


@pytest.mark.parametrize("mode,attention", [("gru", "dot"), ("lstm", "additive"), ("gru", "none")])
def test_greedy_decoding_is_the_teacher_forced_argmax_of_its_own_output(mode, attention):
    torch.manual_seed(0)
    net = RNNEncoderDecoder(16, 16, 8, 12, num_layers=2, mode=mode, attention=attention).eval()
    src, lengths = padded_batch([9, 4, 6])
    greedy = greedy_decode(net, src, lengths, 8, BOS, EOS)
    tgt_in = torch.cat([torch.full((3, 1), BOS), greedy.tokens[:, :-1]], dim=1)
    logits, weights = net(src, lengths, tgt_in)
    before_end = torch.cumsum(greedy.tokens == EOS, dim=1) - (greedy.tokens == EOS).long() == 0
    assert torch.equal(logits.argmax(-1)[before_end], greedy.tokens[before_end])
    log_p = torch.log_softmax(logits, -1).gather(2, greedy.tokens[..., None]).squeeze(-1)
    assert torch.allclose((log_p * before_end).sum(1), greedy.log_prob, atol=1e-5)
    if attention == "none":
        assert weights is None and greedy.attention is None
    else:
        assert torch.allclose(weights, greedy.attention, atol=1e-6)
        assert (greedy.attention[1, :, 4:] == 0).all()  # the 4-token sentence's padding


def test_beam_search_of_width_one_is_greedy():
    torch.manual_seed(1)
    net = RNNEncoderDecoder(16, 16, 8, 12, attention="general").eval()
    src, lengths = padded_batch([7, 3, 5, 7], seed=1)
    greedy = greedy_decode(net, src, lengths, 10, BOS, EOS)
    beam = beam_search(net, src, lengths, 10, BOS, EOS, beam_size=1)
    assert torch.equal(beam.tokens, greedy.tokens)
    assert torch.allclose(beam.log_prob, greedy.log_prob)
    assert torch.allclose(beam.attention, greedy.attention)


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_batched_beam_search_equals_decoding_each_sentence_alone(length_penalty):
    torch.manual_seed(2)
    net = RNNEncoderDecoder(16, 16, 8, 12, attention="dot").eval()
    src, lengths = padded_batch([8, 2, 5, 6, 1], seed=2)
    batched = beam_search(net, src, lengths, 12, BOS, EOS, beam_size=4, length_penalty=length_penalty)
    for i, length in enumerate(lengths.tolist()):
        alone = beam_search(
            net,
            src[i : i + 1, :length],
            lengths[i : i + 1],
            12,
            BOS,
            EOS,
            beam_size=4,
            length_penalty=length_penalty,
        )
        width = alone.tokens.shape[1]
        assert torch.equal(alone.tokens[0], batched.tokens[i, :width])
        assert (batched.tokens[i, width:] == 0).all()
        assert torch.allclose(alone.log_prob[0], batched.log_prob[i], atol=1e-5)


def test_beam_hypotheses_end_with_eos_then_padding():
    torch.manual_seed(3)
    net = RNNEncoderDecoder(8, 8, 8, 12, attention="dot").eval()
    src, lengths = padded_batch([5, 3], vocab=8, seed=3)
    result = beam_search(net, src, lengths, 30, BOS, EOS, beam_size=3)
    for row in result.tokens.tolist():
        if EOS in row:
            assert set(row[row.index(EOS) + 1 :]) <= {0}
