import pytest
import torch

from zoo.models.recurrent import WrittenRNN, recurrent_layer


@pytest.mark.parametrize(
    ("mode", "nonlinearity"), [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
)
def test_written_cells_equal_torch_modules_for_two_bidirectional_layers(mode, nonlinearity):
    torch.manual_seed(0)
    fast = recurrent_layer(mode, 5, 7, num_layers=2, bidirectional=True, nonlinearity=nonlinearity)
    written = WrittenRNN(mode, 5, 7, num_layers=2, bidirectional=True, nonlinearity=nonlinearity)
    written.load_state_dict(fast.state_dict())  # same names, shapes and gate order
    x = torch.randn(3, 6, 5, requires_grad=True)
    x_written = x.detach().clone().requires_grad_(True)
    out_fast, state_fast = fast(x)
    out_written, state_written = written(x_written)
    torch.testing.assert_close(out_written, out_fast, atol=1e-5, rtol=0)
    for a, b in zip(
        state_written if mode == "lstm" else [state_written],
        state_fast if mode == "lstm" else [state_fast],
        strict=True,
    ):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    (
        out_fast.square().sum() + sum(s.sum() for s in (state_fast if mode == "lstm" else [state_fast]))
    ).backward()
    (
        out_written.square().sum()
        + sum(s.sum() for s in (state_written if mode == "lstm" else [state_written]))
    ).backward()
    torch.testing.assert_close(x_written.grad, x.grad, atol=1e-5, rtol=0)
    for name, parameter in written.named_parameters():
        torch.testing.assert_close(
            parameter.grad, dict(fast.named_parameters())[name].grad, atol=1e-5, rtol=0
        )


def test_written_lstm_continues_from_a_given_state():
    torch.manual_seed(1)
    fast = recurrent_layer("lstm", 3, 4)
    written = WrittenRNN("lstm", 3, 4)
    written.load_state_dict(fast.state_dict())
    x = torch.randn(2, 5, 3)
    _, state = fast(x[:, :2])
    torch.testing.assert_close(written(x[:, 2:], state)[0], fast(x[:, 2:], state)[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(written(x)[0][:, 2:], fast(x)[0][:, 2:], atol=1e-6, rtol=0)


def test_lstm_memory_cell_follows_the_equations():
    cell = WrittenRNN("lstm", 1, 1)
    with torch.no_grad():
        for parameter in cell.parameters():
            parameter.zero_()
        cell.bias_ih_l0.copy_(torch.tensor([10.0, 10.0, 0.5, 10.0]))  # i, f ≈ 1, g = tanh(0.5), o ≈ 1
    _, (h, c) = cell(torch.zeros(1, 3, 1))
    expected_c = 3 * torch.tanh(torch.tensor(0.5))  # c_t = f·c_{t-1} + i·g, three steps
    torch.testing.assert_close(c.flatten()[0], expected_c, atol=1e-3, rtol=0)
    torch.testing.assert_close(h.flatten()[0], torch.tanh(expected_c), atol=1e-3, rtol=0)


def test_unknown_mode_and_implementation_are_named():
    with pytest.raises(ValueError, match="mode"):
        recurrent_layer("transformer", 2, 2)
    with pytest.raises(ValueError, match="implementation"):
        recurrent_layer("lstm", 2, 2, implementation="cuda")


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
def test_final_states_read_from_the_outputs_are_the_rnns_returned_state(mode, bidirectional, layers):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from zoo.models.sequence import final_states

    torch.manual_seed(0)
    rnn = getattr(torch.nn, mode.upper())(
        5, 4, num_layers=layers, bidirectional=bidirectional, batch_first=True
    )
    lengths = torch.tensor([6, 2, 4, 1])
    outputs, state = rnn(
        pack_padded_sequence(torch.randn(4, 6, 5), lengths, batch_first=True, enforce_sorted=False)
    )
    outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=6)
    h = state[0] if mode == "lstm" else state
    directions = 2 if bidirectional else 1
    torch.testing.assert_close(
        final_states(outputs, lengths, directions), h[-directions:].transpose(0, 1).flatten(1)
    )
