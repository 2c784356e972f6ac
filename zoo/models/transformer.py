"""The Transformer (Vaswani et al., 2017), written out, with the fused kernel as the fast path.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

Multi-head attention projects the inputs to Q = X W_Q, K = X' W_K, V = X' W_V, splits them into
`heads` heads of size d_k = d_model / heads, attends in each head, concatenates the heads and
projects with W_O. Self-attention has X' = X; cross-attention (decoder → encoder) has X' the
encoder's output. A mask says which keys each query may see: padding masks hide <pad> keys,
the causal mask hides later positions. A layer is attention, residual, feed-forward (ReLU),
residual, each with layer norm: after the residual (post-norm, the paper) or before the
sublayer (pre-norm, more stable in deep stacks). Positional embeddings (sinusoidal or learned)
are added to the token embeddings, since attention alone ignores order.

`implementation="written"` computes the equation above; "fast" (the default) calls
F.scaled_dot_product_attention (flash / memory-efficient kernels on GPU). Both give the same
result; only the written one returns the attention weights.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from zoo.vocabulary import PAD

IMPLEMENTATIONS = ("fast", "written")
POSITIONS = ("sinusoidal", "learned", "none")
ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}
INITS = ("default", "gpt2")


class LayerCache(NamedTuple):
    """One attention layer's keys and values of the positions read so far."""

    keys: torch.Tensor  # (B, h, S, d_k)
    values: torch.Tensor  # (B, h, S, d_k)


class GenerationState(NamedTuple):
    """A decoder-only Transformer's state between calls: the tokens it has read (to re-read a
    window once they outgrow the context) and every layer's key/value cache."""

    tokens: torch.Tensor  # (B, S)
    layers: tuple[LayerCache, ...]


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    written: bool = False,
    causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """q (B, h, T, d_k), k and v (B, h, S, d_k); mask broadcastable to (B, h, T, S), True where the
    query may attend, or `causal` (T = S): query t sees keys ≤ t, without a mask tensor, which lets
    the fused kernel use flash attention. Returns (output (B, h, T, d_k), weights (B, h, T, S) if
    written else None)."""
    if causal and mask is not None:
        raise ValueError("give a mask or causal=True, not both")
    if not written:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal), None
    if causal:
        mask = causal_mask(q.shape[2], q.device)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def causal_mask(length: int, device: torch.device | None = None) -> torch.Tensor:
    """(1, 1, T, T): position t sees positions ≤ t."""
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()[None, None]


def padding_mask(lengths: torch.Tensor, length: int) -> torch.Tensor:
    """(B, 1, 1, S): True at the real (non-pad) keys."""
    return (torch.arange(length, device=lengths.device)[None] < lengths[:, None])[:, None, None]


class MultiHeadAttention(nn.Module):
    """`fused_qkv`: self-attention computes Q, K and V with one matrix [W_Q W_K W_V] (one matrix
    product instead of three: the same numbers, tested against the separate ones)."""

    def __init__(
        self,
        d_model: int,
        heads: int,
        implementation: str = "fast",
        bias: bool = True,
        fused_qkv: bool = False,
    ):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by heads ({heads})")
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"implementation must be 'fast' or 'written', got {implementation!r}")
        self.heads, self.written, self.fused = heads, implementation == "written", fused_qkv
        if fused_qkv:
            self.W_QKV = nn.Linear(d_model, 3 * d_model, bias=bias)
        else:
            self.W_Q = nn.Linear(d_model, d_model, bias=bias)
            self.W_K = nn.Linear(d_model, d_model, bias=bias)
            self.W_V = nn.Linear(d_model, d_model, bias=bias)
        self.W_O = nn.Linear(d_model, d_model, bias=bias)
        self.weights: torch.Tensor | None = None  # the last attention weights (written only)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d_model) → (B, h, T, d_k)."""
        batch, length, width = x.shape
        x = x.view(batch, length, self.heads, width // self.heads)  # (B, T, h, d_k)
        return x.transpose(1, 2)  # (B, h, T, d_k)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor,
        mask: torch.Tensor | None = None,
        past: LayerCache | None = None,
        causal: bool = False,
    ) -> tuple[torch.Tensor, LayerCache]:
        """x (B, T, d_model) asks, context (B, S, d_model) answers (context = x: self-attention).
        `past`: the keys and values (B, h, S', d_k) of earlier positions (a key/value cache); the
        new ones are appended. `causal`: self-attention over x alone with the causal mask.
        Returns (output (B, T, d_model), all keys and values)."""
        if self.fused:
            if context is not x:
                raise ValueError("fused_qkv is for self-attention (context = x)")
            q, k, v = (self.split_heads(part) for part in self.W_QKV(x).chunk(3, dim=-1))
        else:
            q = self.split_heads(self.W_Q(x))  # (B, h, T, d_k)
            k = self.split_heads(self.W_K(context))  # (B, h, S, d_k)
            v = self.split_heads(self.W_V(context))  # (B, h, S, d_k)
        if past is not None:
            k = torch.cat([past.keys, k], dim=2)  # (B, h, S' + S, d_k)
            v = torch.cat([past.values, v], dim=2)
        heads, self.weights = scaled_dot_product_attention(
            q, k, v, mask, self.written, causal
        )  # (B, h, T, d_k)
        heads = heads.transpose(1, 2).flatten(2)  # (B, T, d_model): the heads side by side
        return self.W_O(heads), LayerCache(k, v)


class FeedForward(nn.Sequential):
    def __init__(self, d_model: int, d_ff: int, dropout: float, activation: str = "relu", bias: bool = True):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        super().__init__(
            nn.Linear(d_model, d_ff, bias=bias),
            ACTIVATIONS[activation](),
            nn.Dropout(dropout),
            nn.Linear(d_ff, d_model, bias=bias),
        )


class EncoderLayer(nn.Module):
    def __init__(
        self,
        d_model: int,
        heads: int,
        d_ff: int,
        dropout: float,
        norm_first: bool,
        implementation: str,
        activation: str = "relu",
        bias: bool = True,
        fused_qkv: bool = False,
    ):
        super().__init__()
        self.self_attention = MultiHeadAttention(d_model, heads, implementation, bias, fused_qkv)
        self.feed_forward = FeedForward(d_model, d_ff, dropout, activation, bias)
        self.norm1, self.norm2 = nn.LayerNorm(d_model, bias=bias), nn.LayerNorm(d_model, bias=bias)
        self.drop, self.norm_first = nn.Dropout(dropout), norm_first

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None,
        past: LayerCache | None = None,
        causal: bool = False,
    ) -> tuple[torch.Tensor, LayerCache]:
        """x (B, T, d_model) → (output (B, T, d_model), this layer's keys and values, `past`
        included)."""
        if self.norm_first:  # x + sublayer(norm(x))
            h = self.norm1(x)
            attended, present = self.self_attention(h, h, mask, past, causal)
            x = x + self.drop(attended)
            h = self.norm2(x)
            x = x + self.drop(self.feed_forward(h))
            return x, present
        attended, present = self.self_attention(x, x, mask, past, causal)  # norm(x + sublayer(x))
        x = self.norm1(x + self.drop(attended))
        x = self.norm2(x + self.drop(self.feed_forward(x)))
        return x, present


class DecoderLayer(nn.Module):
    def __init__(
        self, d_model: int, heads: int, d_ff: int, dropout: float, norm_first: bool, implementation: str
    ):
        super().__init__()
        self.self_attention = MultiHeadAttention(d_model, heads, implementation)
        self.cross_attention = MultiHeadAttention(d_model, heads, implementation)
        self.feed_forward = FeedForward(d_model, d_ff, dropout)
        self.norm1, self.norm2, self.norm3 = (
            nn.LayerNorm(d_model),
            nn.LayerNorm(d_model),
            nn.LayerNorm(d_model),
        )
        self.drop, self.norm_first = nn.Dropout(dropout), norm_first

    def forward(
        self,
        y: torch.Tensor,
        memory: torch.Tensor,
        self_mask: torch.Tensor | None,
        memory_mask: torch.Tensor | None,
        past: LayerCache | None = None,
    ) -> tuple[torch.Tensor, LayerCache]:
        """y (B, T, d_model) reads itself and memory (B, S, d_model) → (output (B, T, d_model),
        the self-attention's keys and values, `past` included)."""
        if self.norm_first:  # y + sublayer(norm(y))
            h = self.norm1(y)
            attended, present = self.self_attention(h, h, self_mask, past)
            y = y + self.drop(attended)
            h = self.norm2(y)
            looked, _ = self.cross_attention(h, memory, memory_mask)
            y = y + self.drop(looked)
            h = self.norm3(y)
            y = y + self.drop(self.feed_forward(h))
            return y, present
        attended, present = self.self_attention(y, y, self_mask, past)  # norm(y + sublayer(y))
        y = self.norm1(y + self.drop(attended))
        looked, _ = self.cross_attention(y, memory, memory_mask)
        y = self.norm2(y + self.drop(looked))
        y = self.norm3(y + self.drop(self.feed_forward(y)))
        return y, present


class SinusoidalPositions(nn.Module):
    """PE(t, 2i) = sin(t / 10000^(2i/d)), PE(t, 2i+1) = cos(t / 10000^(2i/d))."""

    def __init__(self, d_model: int, max_length: int):
        super().__init__()
        position = torch.arange(max_length, dtype=torch.float32)[:, None]
        frequency = torch.exp(
            torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
        )
        table = torch.zeros(max_length, d_model)
        table[:, 0::2] = torch.sin(position * frequency)
        table[:, 1::2] = torch.cos(position * frequency)[:, : d_model // 2]
        self.register_buffer("table", table, persistent=False)

    def forward(self, length: int, offset: int = 0) -> torch.Tensor:
        return self.table[offset : offset + length]


class LearnedPositions(nn.Module):
    def __init__(self, d_model: int, max_length: int):
        super().__init__()
        self.table = nn.Embedding(max_length, d_model)

    def forward(self, length: int, offset: int = 0) -> torch.Tensor:
        return self.table.weight[offset : offset + length]


def positional_embedding(kind: str, d_model: int, max_length: int) -> nn.Module | None:
    if kind not in POSITIONS:
        raise ValueError(f"positions must be one of {', '.join(POSITIONS)}, got {kind!r}")
    if kind == "none":
        return None
    return (
        SinusoidalPositions(d_model, max_length)
        if kind == "sinusoidal"
        else LearnedPositions(d_model, max_length)
    )


class TokenEmbedding(nn.Module):
    """Token embedding scaled by √d_model (as in the paper), plus positions, then dropout. The
    table starts at N(0, 1/d_model), so scaled embeddings have unit variance and an output layer
    tied to the table gives logits of unit scale."""

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        positions: str,
        max_length: int,
        dropout: float,
        scale: bool = True,
    ):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, d_model, padding_idx=PAD)
        with torch.no_grad():
            self.tokens.weight.normal_(0.0, d_model**-0.5)
            self.tokens.weight[0].zero_()
        self.positions = positional_embedding(positions, d_model, max_length)
        self.drop, self.scale = nn.Dropout(dropout), math.sqrt(d_model) if scale else 1.0
        self.max_length = max_length

    def forward(self, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
        if offset + tokens.shape[1] > self.max_length:
            raise ValueError(
                f"sequence of {offset + tokens.shape[1]} tokens exceeds max_length={self.max_length}"
            )
        x = self.tokens(tokens) * self.scale  # (B, T, d_model)
        if self.positions is not None:
            x = x + self.positions(tokens.shape[1], offset)
        return self.drop(x)


class TransformerEncoder(nn.Module):
    """A stack of encoder layers over embedded tokens (the final norm for pre-norm stacks)."""

    def __init__(self, d_model, heads, d_ff, num_layers, dropout, norm_first, implementation):
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, heads, d_ff, dropout, norm_first, implementation) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        for layer in self.layers:
            x, _ = layer(x, mask)
        return self.norm(x)


class TransformerEncoderDecoder(nn.Module):
    """Encoder-decoder for the Seq2Seq task (the interface of zoo.models.decoding). Step decoding
    keeps a key/value cache of the generated tokens as its state."""

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        d_model: int = 128,
        heads: int = 4,
        d_ff: int = 512,
        num_layers: int = 6,
        dropout: float = 0.1,
        positions: str = "sinusoidal",
        norm_first: bool = False,
        implementation: str = "fast",
        max_length: int = 512,
    ):
        super().__init__()
        self.src_embedding = TokenEmbedding(src_vocab_size, d_model, positions, max_length, dropout)
        self.tgt_embedding = TokenEmbedding(tgt_vocab_size, d_model, positions, max_length, dropout)
        self.encoder = TransformerEncoder(
            d_model, heads, d_ff, num_layers, dropout, norm_first, implementation
        )
        self.layers = nn.ModuleList(
            DecoderLayer(d_model, heads, d_ff, dropout, norm_first, implementation) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.output = nn.Linear(d_model, tgt_vocab_size)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = padding_mask(src_lengths.to(src.device), src.shape[1])
        return {"states": self.encoder(self.src_embedding(src), mask), "mask": mask}

    def decode(self, tgt_in: torch.Tensor, memory: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits (B, T, V) for every prefix of tgt_in at once (the causal mask hides the future)."""
        y = self.tgt_embedding(tgt_in)
        self_mask = causal_mask(tgt_in.shape[1], tgt_in.device)
        for layer in self.layers:
            y, _ = layer(y, memory["states"], self_mask, memory["mask"])
        return self.output(self.norm(y))

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, None]:
        return self.decode(tgt_in, self.encode(src, src_lengths)), None

    def init_state(self, memory: dict[str, torch.Tensor]) -> tuple[LayerCache, ...]:
        """No target token yet: an empty key/value cache per decoder layer."""
        states = memory["states"]  # (B, S, d_model)
        heads = self.layers[0].self_attention.heads
        empty = states.new_zeros(states.shape[0], heads, 0, states.shape[2] // heads)  # (B, h, 0, d_k)
        return tuple(LayerCache(empty, empty) for _ in self.layers)

    def step(
        self, token: torch.Tensor, state: tuple[LayerCache, ...], memory: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, tuple[LayerCache, ...], None]:
        """One target token per sentence (B,): its logits (B, V), with every decoder layer's keys
        and values of the earlier target tokens read from the cache (the state) instead of
        recomputed."""
        y = self.tgt_embedding(token[:, None], offset=state[0].keys.shape[2])  # (B, 1, d_model)
        cache = []
        for layer, past in zip(self.layers, state, strict=True):
            y, present = layer(y, memory["states"], None, memory["mask"], past)
            cache.append(present)
        return self.output(self.norm(y))[:, -1], tuple(cache), None


class TransformerLanguageModel(nn.Module):
    """Decoder-only Transformer (GPT): causal self-attention layers over token embeddings plus
    learned positions, pre-norm, output tied to the token embedding by default.

    forward(tokens (B, T), state) → (logits (B, T, V), state). The state is the key/value cache
    (every layer's K and V so far) plus the tokens it holds, so generation feeds one new token
    per step instead of re-reading the whole sequence. The LanguageModel task does not carry the
    state from one training window to the next (`carries_state = False`): each window is read
    on its own, up to `context` tokens. When a generated sequence outgrows the context, the last
    `context` tokens are re-read without the cache (a sliding window).

    The GPT-2 shape (the GPT presets' choice; the class defaults are the original Transformer's,
    which older checkpoints were trained with): `activation="gelu"`, no biases in the linear
    layers and layer norms (`bias=False`), one Q/K/V matrix (`fused_qkv=True`) and `init="gpt2"`:
    every weight N(0, 0.02), embeddings unscaled, and the two projections that write into the
    residual stream in each layer (attention's W_O, the feed-forward's output) N(0, 0.02/√(2L)).
    The residual stream is a sum of 2L such writes on top of the embedding; scaling each by
    1/√(2L) keeps its variance at initialisation independent of depth, so a deeper model starts
    as well-conditioned as a shallow one (Radford et al. 2019, §2.3)."""

    carries_state = False

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 128,
        heads: int = 4,
        d_ff: int = 512,
        num_layers: int = 4,
        dropout: float = 0.1,
        context: int = 256,
        positions: str = "learned",
        norm_first: bool = True,
        tie_weights: bool = True,
        implementation: str = "fast",
        activation: str = "relu",
        bias: bool = True,
        fused_qkv: bool = False,
        init: str = "default",
    ):
        super().__init__()
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        self.context = context
        self.embedding = TokenEmbedding(
            vocab_size, d_model, positions, context, dropout, scale=init != "gpt2"
        )
        self.layers = nn.ModuleList(
            EncoderLayer(
                d_model, heads, d_ff, dropout, norm_first, implementation, activation, bias, fused_qkv
            )
            for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model, bias=bias) if norm_first else nn.Identity()
        self.output = nn.Linear(d_model, vocab_size, bias=False)
        if tie_weights:
            self.output.weight = self.embedding.tokens.weight
        if init == "gpt2":
            gpt2_init(self, num_layers)

    def forward(
        self, tokens: torch.Tensor, state: GenerationState | None = None
    ) -> tuple[torch.Tensor, GenerationState]:
        """tokens (B, T) → (logits (B, T, V), the state after reading them)."""
        if tokens.shape[1] > self.context:
            raise ValueError(
                f"a window of {tokens.shape[1]} tokens exceeds the model's context of {self.context}"
            )
        seen = state.tokens if state is not None else tokens[:, :0]  # (B, S)
        if seen.shape[1] + tokens.shape[1] > self.context:  # outgrew the context: re-read the last window
            window = torch.cat([seen, tokens], dim=1)[:, -self.context :]
            logits, state = self(window)
            return logits[:, -tokens.shape[1] :], state
        offset, length = seen.shape[1], tokens.shape[1]
        x = self.embedding(tokens, offset)  # (B, T, d_model)
        mask = None  # a window read alone (training): the causal mask, as flash attention applies it
        if state is not None:  # query i (at position offset + i) sees every key up to its own position
            mask = (
                torch.arange(offset + length, device=tokens.device)[None]
                <= offset + torch.arange(length, device=tokens.device)[:, None]
            )[None, None]
        pasts = state.layers if state is not None else [None] * len(self.layers)
        cache = []
        for layer, past in zip(self.layers, pasts, strict=True):
            x, present = layer(x, mask, past, causal=state is None)  # (B, T, d_model)
            cache.append(present)
        logits = self.output(self.norm(x))  # (B, T, V)
        return logits, GenerationState(torch.cat([seen, tokens], dim=1), tuple(cache))


def gpt2_init(model: nn.Module, num_layers: int, std: float = 0.02) -> None:
    """GPT-2's initialisation: linear and embedding weights N(0, std), biases zero, and the
    residual projections (attention's W_O, the feed-forward's last layer) N(0, std/√(2·layers))."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear | nn.Embedding):
                module.weight.normal_(0.0, std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.zero_()
        for module in model.modules():
            if isinstance(module, MultiHeadAttention):
                module.W_O.weight.normal_(0.0, std / math.sqrt(2 * num_layers))
            if isinstance(module, FeedForward):
                module[-1].weight.normal_(0.0, std / math.sqrt(2 * num_layers))


class TransformerSentenceEncoder(nn.Module):
    """Encoder-only (BERT): embedded tokens (B, T) with their lengths → states (B, T, d_model),
    each position attending to every real token of its sentence in both directions."""

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 128,
        heads: int = 4,
        d_ff: int = 512,
        num_layers: int = 4,
        dropout: float = 0.1,
        positions: str = "learned",
        norm_first: bool = True,
        implementation: str = "fast",
        max_length: int = 512,
    ):
        super().__init__()
        self.embedding = TokenEmbedding(vocab_size, d_model, positions, max_length, dropout)
        self.layers = TransformerEncoder(
            d_model, heads, d_ff, num_layers, dropout, norm_first, implementation
        )

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.layers(self.embedding(tokens), padding_mask(lengths.to(tokens.device), tokens.shape[1]))


def encoder_options(vocab_size: int, options: dict) -> TransformerSentenceEncoder:
    return TransformerSentenceEncoder(vocab_size, **options)


class TransformerMaskedLM(nn.Module):
    """Encoder + masked-LM head: a dense layer, GELU and layer norm, then scores over the
    vocabulary through the token embedding matrix itself (tied) plus a bias: (B, T, V)."""

    def __init__(self, vocab_size: int, **encoder: object):
        super().__init__()
        self.encoder = encoder_options(vocab_size, encoder)
        width = self.encoder.embedding.tokens.embedding_dim
        self.transform = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.LayerNorm(width))
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h = self.transform(self.encoder(tokens, lengths))
        return h @ self.encoder.embedding.tokens.weight.T + self.bias


class TransformerClassifier(nn.Module):
    """Encoder + the mean of the states over the real tokens + a linear layer: class scores."""

    def __init__(self, vocab_size: int, num_classes: int, **encoder: object):
        super().__init__()
        self.encoder = encoder_options(vocab_size, encoder)
        self.output = nn.Linear(self.encoder.embedding.tokens.embedding_dim, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states = self.encoder(tokens, lengths)
        real = torch.arange(tokens.shape[1], device=tokens.device)[None] < lengths.to(tokens.device)[:, None]
        real = real[..., None].to(states.dtype)
        return self.output((states * real).sum(1) / real.sum(1).clamp_min(1))


class TransformerTagger(nn.Module):
    """Encoder + a linear layer at every position: tag scores (B, T, tags)."""

    def __init__(self, vocab_size: int, num_classes: int, **encoder: object):
        super().__init__()
        self.encoder = encoder_options(vocab_size, encoder)
        self.output = nn.Linear(self.encoder.embedding.tokens.embedding_dim, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.output(self.encoder(tokens, lengths))
