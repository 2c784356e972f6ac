"""The RNN encoder-decoder, with or without attention.

Encoder: embedding → (bi)RNN over the source x_1..x_S → states s_j (B, S, H) (both directions
projected to H) and a summary of the whole source (the final states, projected to H).
Decoder, one target step i (input token y_{i-1}, state h_{i-1}):

    with attention:    c_i = Σ_j a_ij s_j,  a_ij = softmax_j(score(h_{i-1}, s_j))   (zoo.models.attention)
    without attention: c_i = the summary, the same fixed vector at every step (the bottleneck)
    h_i = RNN(h_{i-1}, [embed(y_{i-1}), c_i]),   logits_i = W_o [h_i, c_i]

The decoder starts from h_0 = tanh(W_b · summary) in every layer. Every tensor of the decoding
state and of the encoder's memory has the batch on dim 0, so beam search (zoo.models.decoding)
can reorder and repeat them without knowing the model.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo.models.attention import Attention
from zoo.models.recurrent import recurrent_layer
from zoo.models.sequence import RecurrentEncoder
from zoo.vocabulary import PAD

Memory = dict[str, torch.Tensor]
State = tuple[torch.Tensor, ...]  # (h,) or (h, c), each (B, layers, H)


class RNNEncoderDecoder(nn.Module):
    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embed_dim: int = 64,
        hidden: int = 128,
        num_layers: int = 1,
        mode: str = "gru",
        attention: str = "dot",
        bidirectional: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        if mode not in ("gru", "lstm"):
            raise ValueError(f"mode must be 'gru' or 'lstm', got {mode!r}")
        self.mode, self.num_layers, self.hidden = mode, num_layers, hidden
        self.encoder = RecurrentEncoder(
            src_vocab_size, embed_dim, hidden, num_layers, mode, bidirectional, dropout
        )
        self.project_states = nn.Linear(self.encoder.output_size, hidden) if bidirectional else nn.Identity()
        self.bridge = nn.Linear(self.encoder.output_size, hidden)
        self.attention = None if attention in (None, "none") else Attention(attention, hidden, hidden)
        self.embedding = nn.Embedding(tgt_vocab_size, embed_dim, padding_idx=PAD)
        self.drop = nn.Dropout(dropout)
        self.decoder = recurrent_layer(mode, embed_dim + hidden, hidden, num_layers, dropout=dropout)
        self.output = nn.Linear(2 * hidden, tgt_vocab_size)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        outputs, final = self.encoder(src, src_lengths)
        states = self.project_states(outputs)  # s_j
        memory = {
            "states": states,
            "mask": torch.arange(src.shape[1], device=src.device)[None] < src_lengths.to(src.device)[:, None],
            "summary": torch.tanh(self.bridge(final)),
        }
        if self.attention is not None:
            memory["keys"] = self.attention.keys(states)
        return memory

    def init_state(self, memory: Memory) -> State:
        h = memory["summary"][:, None].expand(-1, self.num_layers, -1).contiguous()
        return (h, torch.zeros_like(h)) if self.mode == "lstm" else (h,)

    def step(
        self, token: torch.Tensor, state: State, memory: Memory
    ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """One decoder step: (logits (B, V), the new state, attention weights (B, S) or None)."""
        h_previous = state[0][:, -1]  # the top layer's h_{i-1}
        if self.attention is None:
            context, weights = memory["summary"], None
        else:
            context, weights = self.attention(h_previous, memory["states"], memory["mask"], memory["keys"])
        x = torch.cat([self.drop(self.embedding(token)), context], dim=-1)[:, None]
        rnn_state = tuple(part.transpose(0, 1).contiguous() for part in state)
        output, rnn_state = self.decoder(x, rnn_state if self.mode == "lstm" else rnn_state[0])
        rnn_state = rnn_state if self.mode == "lstm" else (rnn_state,)
        new_state = tuple(part.transpose(0, 1) for part in rnn_state)
        logits = self.output(self.drop(torch.cat([output[:, 0], context], dim=-1)))
        return logits, new_state, weights

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: the decoder reads the true previous tokens tgt_in (B, T);
        returns logits (B, T, V) and the attention weights (B, T, S) (None without attention)."""
        memory = self.encode(src, src_lengths)
        state = self.init_state(memory)
        logits, weights = [], []
        for i in range(tgt_in.shape[1]):
            step_logits, state, step_weights = self.step(tgt_in[:, i], state, memory)
            logits.append(step_logits)
            weights.append(step_weights)
        attention = None if self.attention is None else torch.stack(weights, dim=1)
        return torch.stack(logits, dim=1), attention
