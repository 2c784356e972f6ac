"""Recurrent networks: z_t = f_w(z_{t-1}, x_t), the same weights w at every step.

Written out from the course's equations (h_t hidden state, c_t memory cell, σ the logistic
function, ⊙ the element-wise product), with torch's parameter names and gate order, so that a
written-out network and torch's cuDNN-backed nn.RNN / nn.LSTM / nn.GRU load each other's weights:

- RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)            (or relu)
- LSTM: i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        c_t = f ⊙ c_{t-1} + i ⊙ g          (forget some memory, write some new)
        h_t = o ⊙ tanh(c_t)                 (expose some of the memory)
- GRU:  r, z = σ(·), σ(·) (reset and update gates)
        n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

Layers stack (the outputs h_t of layer l are the inputs x_t of layer l+1, with dropout between
layers); a bidirectional layer runs a second cell from the end and concatenates both h_t.
`recurrent_layer(..., implementation="fast" | "written")` returns either; training uses "fast".
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    s = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    return torch.tanh(s) if nonlinearity == "tanh" else torch.relu(s)


def lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    i, f, g, o = (F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    x_r, x_z, x_n = F.linear(x, w_ih, b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


class WrittenRNN(nn.Module):
    """The step loop of the equations above, batch-first, with nn.RNN/LSTM/GRU's interface:
    forward(x (B, T, input), state) → (outputs (B, T, directions·hidden), state), where state is
    h (layers·directions, B, hidden), or (h, c) for the LSTM."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        nonlinearity: str = "tanh",
    ):
        super().__init__()
        if mode not in GATES:
            raise ValueError(f"mode must be one of {', '.join(GATES)}, got {mode!r}")
        self.mode, self.hidden_size, self.num_layers = mode, hidden_size, num_layers
        self.directions, self.dropout, self.nonlinearity = 2 if bidirectional else 1, dropout, nonlinearity
        gates = GATES[mode] * hidden_size
        bound = 1 / math.sqrt(hidden_size)  # torch's initialisation: U(-1/√H, 1/√H)
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.directions
            for suffix in ("", "_reverse")[: self.directions]:
                for name, shape in (
                    (f"weight_ih_l{layer}{suffix}", (gates, layer_input)),
                    (f"weight_hh_l{layer}{suffix}", (gates, hidden_size)),
                    (f"bias_ih_l{layer}{suffix}", (gates,)),
                    (f"bias_hh_l{layer}{suffix}", (gates,)),
                ):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def initial_state(self, batch: int, like: torch.Tensor) -> State:
        h = like.new_zeros(self.num_layers * self.directions, batch, self.hidden_size)
        return (h, h.clone()) if self.mode == "lstm" else h

    def step(self, x: torch.Tensor, state: State, layer: int, suffix: str) -> State:
        weights = [
            getattr(self, f"{kind}_l{layer}{suffix}")
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        if self.mode == "lstm":
            return lstm_cell(x, state, *weights)
        if self.mode == "gru":
            return gru_cell(x, state, *weights)
        return rnn_cell(x, state, *weights, nonlinearity=self.nonlinearity)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        state = self.initial_state(x.shape[0], x) if state is None else state
        is_lstm = self.mode == "lstm"
        final_h, final_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[: self.directions]):
                index = layer * self.directions + direction
                z = (state[0][index], state[1][index]) if is_lstm else state[index]
                steps = range(x.shape[1]) if direction == 0 else reversed(range(x.shape[1]))
                hs = [None] * x.shape[1]
                for t in steps:
                    z = self.step(x[:, t], z, layer, suffix)
                    hs[t] = z[0] if is_lstm else z
                outputs.append(torch.stack(hs, dim=1))
                final_h.append(z[0] if is_lstm else z)
                if is_lstm:
                    final_c.append(z[1])
            x = torch.cat(outputs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        h = torch.stack(final_h)
        return x, ((h, torch.stack(final_c)) if is_lstm else h)


FAST = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def recurrent_layer(
    mode: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    nonlinearity: str = "tanh",
    implementation: str = "fast",
) -> nn.Module:
    """A batch-first recurrent stack: torch's fused version ("fast", cuDNN on GPU) or the step loop."""
    if implementation == "written":
        return WrittenRNN(mode, input_size, hidden_size, num_layers, bidirectional, dropout, nonlinearity)
    if implementation != "fast":
        raise ValueError(f"implementation must be 'fast' or 'written', got {implementation!r}")
    if mode not in FAST:
        raise ValueError(f"mode must be one of {', '.join(FAST)}, got {mode!r}")
    extra = {"nonlinearity": nonlinearity} if mode == "rnn" else {}
    return FAST[mode](
        input_size,
        hidden_size,
        num_layers,
        batch_first=True,
        bidirectional=bidirectional,
        dropout=dropout if num_layers > 1 else 0.0,
        **extra,
    )


def detach_state(state: State | None) -> State | None:
    """Cut the graph at a batch boundary (truncated backpropagation through time)."""
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
