"""Language models: p(w_t | w_<t) as a softmax over the vocabulary.

- WindowLanguageModel (Bengio et al. 2003): the embeddings of the n previous tokens, concatenated,
  through an MLP: a fixed window, so nothing older than n tokens can matter.
- RNNLanguageModel: embedding → RNN/LSTM/GRU stack → linear output; the hidden state h_t summarises
  the whole history. `tie_weights` shares the output matrix with the embedding (Press & Wolf);
  `init_range` draws every weight from U(-r, r) (Zaremba et al. 2014: r = 0.1 for "small").

Both take (tokens (B, T), state) and return (logits (B, T, V), state), where the state is what
the next window of the same streams needs: the RNN's hidden state, or the window model's last
n-1 tokens. Carrying it across batches (detached) is truncated backpropagation through time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo.models.recurrent import State, recurrent_layer
from zoo.vocabulary import PAD


class WindowLanguageModel(nn.Module):
    def __init__(
        self, vocab_size: int, context: int = 3, embed_dim: int = 32, hidden: int = 128, dropout: float = 0.0
    ):
        super().__init__()
        self.context = context
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(context * embed_dim, hidden),
            nn.Tanh(),
            nn.Dropout(dropout),
            nn.Linear(hidden, vocab_size),
        )

    def forward(
        self, tokens: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        previous = state if state is not None else tokens.new_full((tokens.shape[0], self.context - 1), PAD)
        stream = torch.cat([previous, tokens], dim=1)  # (B, n-1+T)
        windows = stream.unfold(1, self.context, 1)  # (B, T, n): tokens t-n+1 .. t
        features = self.embedding(windows).flatten(2)  # (B, T, n·embed)
        return self.mlp(features), stream[:, -(self.context - 1) :] if self.context > 1 else tokens[:, :0]


class RNNLanguageModel(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 64,
        hidden: int = 128,
        num_layers: int = 1,
        mode: str = "lstm",
        dropout: float = 0.0,
        tie_weights: bool = False,
        implementation: str = "fast",
        init_range: float | None = None,
    ):
        super().__init__()
        if init_range is not None and not init_range > 0:
            raise ValueError(f"init_range must be positive, got {init_range}")
        if tie_weights and embed_dim != hidden:
            raise ValueError(f"tie_weights needs embed_dim == hidden, got {embed_dim} and {hidden}")
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.drop = nn.Dropout(dropout)
        self.rnn = recurrent_layer(
            mode, embed_dim, hidden, num_layers, dropout=dropout, implementation=implementation
        )
        self.output = nn.Linear(hidden, vocab_size)
        if tie_weights:
            self.output.weight = self.embedding.weight
        if init_range is not None:  # Zaremba et al.: every weight uniform in [-0.1, 0.1]
            for parameter in self.parameters():
                nn.init.uniform_(parameter, -init_range, init_range)

    def forward(self, tokens: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        h, state = self.rnn(self.drop(self.embedding(tokens)), state)
        return self.output(self.drop(h)), state


@torch.no_grad()
def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One token per row from softmax(logits / temperature), restricted to the top k if given;
    temperature 0 takes the most probable token."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k:
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(-1)
