"""A toy character-level language model for Lingle's μP ablations, as validated frozen data.

The text is generated, not downloaded: :func:`toy_text` writes sentences from a small fixed
grammar with ``numpy.random.default_rng(seed)`` (the same seed gives the same text on every
machine). :func:`char_data` cuts it into windows of ``context`` characters (the inputs, as
character ids) and the next character (the target), a training part and a held-out part.

The network (:class:`CharLM`, width ``n``, ``blocks`` residual blocks, hidden size ``ffn · n``) is
a pre-norm MLP language model::

    h_0 = Σ_j E_j[x_j]                                   E ∈ R^{context × V × n}   ("input")
    h_b = h_{b-1} + W2_b φ(W1_b rms(h_{b-1}) · g_b)      W1 ∈ R^{n × f}, W2 ∈ R^{f × n}   ("hidden")
    logits = U (rms(h_B) · g_final)                      U ∈ R^{n × V}            ("output")

with ``rms(h) = h / sqrt(mean(h²) + 1e-6)``, gains ``g`` fixed at 1 (nonparametric RMSNorm, Lingle's
baseline) or trained (``gains=True``), and ``φ`` one of ``relu``, ``gelu``, ``relu2`` (squared ReLU)
or ``swiglu`` (``silu(x W1) ⊙ (x W3)``, an extra ``n × f`` matrix). Softmax cross-entropy on the
next character.

With ``arch="transformer"`` the network is instead a pre-norm causal transformer over the
``context`` positions (``blocks`` layers, ``heads`` attention heads of size ``d_head = n / heads``,
so the head size grows with the width)::

    h_0[j] = T[x_j] + P[j]                               T ∈ R^{V × n}, P ∈ R^{context × n}   ("input", fan-in 2)
    h ← h + W_O attn(Q = x W_Q, K = x W_K, V = x W_V),   x = rms(h) · g   (causal; logits q·k / d_head)
    h ← h + W2 φ(W1 rms(h) · g)                          (the MLP block above)
    logits[j] = U (rms(h[j]) · g_final)                  the next character at every position j

with μP's ``1/d_head`` attention-logit scale (Lingle's and Tensor Programs V's; ``1/√d_head`` is the
SP scale), the four attention matrices hidden-type (std ``1/√n``, learning rate ``η·BASE_WIDTH/n``
under μP) and the loss the mean over the ``context`` positions (position ``j`` predicts character
``j+1`` of the window, the last one the target). ``zero_query=True`` initialises ``W_Q`` to zero
(Tensor Programs V's recommendation, one of Lingle's ablations): every initial attention pattern is
uniform over the visible positions. The parametrization is an :class:`~polylr.engines.mlp.ABC` over the three layer
types (embeddings = input with fan-in ``context``, block matrices = hidden, unembedding = output);
the gains train at ``η · n^-bias_lr`` like the MLP's biases. :data:`LM_MUP` / :data:`LM_SP` are
μP and SP for Adam with learning rates referred to a base width of :data:`BASE_WIDTH`
(hidden and output learning rates ``η · BASE_WIDTH / n`` under μP, Lingle's ``α / M``).

:class:`LMTraining` is to this network what :class:`~polylr.engines.mlp.Training` is to the MLP:
the network, an :class:`~polylr.engines.mlp.Optimizer`, the data, steps, batch. The evaluation
engine (:func:`polylr.train_curves`, :func:`polylr.scan_lr`) trains it through the model seam of
:mod:`polylr.analysis.train` (the JAX code is :mod:`polylr.analysis.train_lm`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import PolylrError, check_int
from ..core.setup import Data
from .mlp import ABC, DTYPES, MEMORY_LIMIT, Optimizer, Training

LM_ACTIVATIONS = ("relu", "gelu", "relu2", "swiglu")
LM_ARCHS = ("mlp", "transformer")
BASE_WIDTH = 32  # μP learning rates are η · BASE_WIDTH / n: at n = BASE_WIDTH every layer trains at η

LM_MUP = ABC("lm-mup-adam", init=(0.0, 0.5, 1.0), lr=(0.0, 1.0, 1.0), bias_lr=0.0,
             lr_factor=(1.0, float(BASE_WIDTH), float(BASE_WIDTH)))
LM_SP = ABC("lm-sp-adam", init=(0.0, 0.5, 0.5), lr=(0.0, 0.0, 0.0), bias_lr=0.0)

# -- the text ------------------------------------------------------------------------------------

_WORDS = {
    "det": ("the", "a", "every", "no", "some"),
    "adj": ("quick", "lazy", "small", "green", "old", "bright", "quiet", "heavy"),
    "noun": ("fox", "dog", "cat", "bird", "river", "stone", "tree", "house", "child", "storm"),
    "verb": ("sees", "finds", "likes", "follows", "moves", "hides", "watches", "carries"),
    "adv": ("slowly", "often", "never", "again", "today"),
    "prep": ("near", "under", "over", "behind", "beside"),
}


def _phrase(rng: np.random.Generator) -> list[str]:
    out = [_WORDS["det"][rng.integers(5)]]
    if rng.random() < 0.6:
        out.append(_WORDS["adj"][rng.integers(8)])
    out.append(_WORDS["noun"][rng.integers(10)])
    return out


def toy_text(chars: int = 60_000, *, seed: int = 0) -> str:
    """``chars`` characters of generated English-like text (lower case, spaces, ``.`` and ``,``):
    sentences ``phrase verb [adverb] phrase [preposition phrase]`` from fixed word lists, drawn with
    ``numpy.random.default_rng(seed)``."""
    chars = check_int("chars (text length)", chars, lo=1, hi=100_000_000)
    seed = check_int("text seed", seed, lo=0)
    rng = np.random.default_rng(seed)
    parts: list[str] = []
    size = 0
    while size < chars:
        s = _phrase(rng) + [_WORDS["verb"][rng.integers(8)]]
        if rng.random() < 0.4:
            s.append(_WORDS["adv"][rng.integers(5)])
        s += _phrase(rng)
        if rng.random() < 0.5:
            s += [_WORDS["prep"][rng.integers(5)]] + _phrase(rng)
        sent = " ".join(s) + ("," if rng.random() < 0.2 else ".") + " "
        parts.append(sent)
        size += len(sent)
    return "".join(parts)[:chars]


def alphabet() -> str:
    """The characters :func:`toy_text` can write, in id order."""
    return "".join(sorted(set(" .," + "".join("".join(w) for w in _WORDS.values()))))


def char_data(m: int, *, context: int = 8, eval_m: int = 1024, seed: int = 0) -> tuple[Data, Data]:
    """Training and held-out windows of the generated text: ``X[i]`` = ``context`` character ids
    (as floats), ``y[i]`` = the id of the next character. The training windows start at
    ``0, 1, ..., m-1`` of one text, the held-out windows at ``0, ..., eval_m-1`` of a second text
    drawn with seed ``seed + 1_000_003`` (no overlap with the training text)."""
    m = check_int("m (training windows)", m, lo=1, hi=10_000_000)
    eval_m = check_int("eval_m (held-out windows)", eval_m, lo=1, hi=10_000_000)
    context = check_int("context", context, lo=1, hi=256)
    seed = check_int("data seed", seed, lo=0)
    ids = {c: i for i, c in enumerate(alphabet())}

    def windows(count: int, s: int, what: str) -> Data:
        text = np.array([ids[c] for c in toy_text(count + context, seed=s)], dtype=np.float64)
        idx = np.arange(count)[:, None] + np.arange(context)[None, :]
        return Data(text[idx], text[np.arange(count) + context], source=f"toy_text({what}: m={count}, context={context}, seed={s})")

    return windows(m, seed, "train"), windows(eval_m, seed + 1_000_003, "held-out")


# -- the network and its training ----------------------------------------------------------------


@dataclass(frozen=True)
class CharLM:
    """The character-level network without its width: ``blocks`` pre-norm residual MLP blocks of
    hidden size ``ffn · n`` (``arch="mlp"``) or ``blocks`` pre-norm transformer layers
    (``arch="transformer"``: causal self-attention with ``heads`` heads, then the MLP block), the
    activation, trainable RMSNorm gains or not, the parametrization (:data:`LM_MUP`, :data:`LM_SP`
    or any :class:`~polylr.engines.mlp.ABC`), the vocabulary size and, for the transformer, whether
    the query projection starts at zero."""

    blocks: int = 2
    ffn: int = 1
    activation: str = "relu"
    gains: bool = False
    param: ABC = LM_MUP
    vocab: int = len(alphabet())
    arch: str = "mlp"
    heads: int = 2
    zero_query: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", check_int("blocks", self.blocks, lo=0, hi=64))
        object.__setattr__(self, "ffn", check_int("ffn (hidden size / width)", self.ffn, lo=1, hi=16))
        object.__setattr__(self, "vocab", check_int("vocab", self.vocab, lo=2, hi=65536))
        if self.activation not in LM_ACTIVATIONS:
            raise PolylrError(f"unknown activation {self.activation!r}; choose one of {', '.join(LM_ACTIVATIONS)}")
        if not isinstance(self.gains, bool):
            raise PolylrError(f"gains must be True or False, got {self.gains!r}")
        if not isinstance(self.param, ABC):
            raise PolylrError(f"param must be a polylr ABC, got {self.param!r}")
        if self.arch not in LM_ARCHS:
            raise PolylrError(f"unknown arch {self.arch!r}; choose one of {', '.join(LM_ARCHS)}")
        object.__setattr__(self, "heads", check_int("heads (attention heads)", self.heads, lo=1, hi=1024))
        if not isinstance(self.zero_query, bool):
            raise PolylrError(f"zero_query must be True or False, got {self.zero_query!r}")
        if self.zero_query and self.arch != "transformer":
            raise PolylrError("zero_query needs arch='transformer' (the MLP model has no query projection), got arch='mlp'")

    def check_width(self, width: int) -> int:
        """``width`` as an int; the transformer's must be a multiple of ``heads``."""
        width = check_int("width n", width, lo=1)
        if self.arch == "transformer" and width % self.heads:
            raise PolylrError(f"width n = {width} must be a multiple of heads = {self.heads} (head size n / heads)")
        return width

    @property
    def gain_rows(self) -> int:
        """RMSNorm gain vectors: one per block (two per transformer layer) and the final one."""
        return (2 if self.arch == "transformer" else 1) * self.blocks + 1

    def n_params(self, width: int, context: int) -> int:
        n, f, B = width, self.ffn * width, self.blocks
        mats = 3 if self.activation == "swiglu" else 2
        if self.arch == "transformer":
            emb = (self.vocab + context) * n + B * 4 * n * n
        else:
            emb = context * self.vocab * n
        return emb + B * mats * n * f + n * self.vocab + self.gain_rows * n


@dataclass(frozen=True, eq=False)
class LMTraining:
    """One training run of a :class:`CharLM` without width, seed and η (the fields mean what they
    mean in :class:`~polylr.engines.mlp.Training`; the loss is the softmax cross-entropy). The
    objective is the held-out loss after the last step when ``eval_data`` is given."""

    net: CharLM = field(default_factory=CharLM)
    optimizer: Optimizer = field(default_factory=lambda: Optimizer("adam"))
    data: Data = field(default_factory=lambda: char_data(4096)[0])
    steps: int = 100
    batch: int | None = 64
    eval_data: Data | None = None
    order_seed: int = 0
    dtype: str = "float32"
    memory_limit: int = MEMORY_LIMIT
    loss: str = "cross-entropy"

    def __post_init__(self) -> None:
        if not isinstance(self.net, CharLM):
            raise PolylrError(f"net must be a polylr CharLM, got {type(self.net).__name__}")
        if not isinstance(self.optimizer, Optimizer):
            raise PolylrError(f"optimizer must be a polylr Optimizer, got {type(self.optimizer).__name__}")
        for what, d in (("data", self.data), ("eval_data", self.eval_data)):
            if d is None and what == "eval_data":
                continue
            if not isinstance(d, Data):
                raise PolylrError(f"{what} must be a polylr.Data of character ids, got {type(d).__name__}")
            ok = np.all((d.X == np.round(d.X)) & (d.X >= 0) & (d.X < self.net.vocab)) and np.all(
                (d.y == np.round(d.y)) & (d.y >= 0) & (d.y < self.net.vocab))
            if not ok:
                raise PolylrError(f"{what} must hold integer character ids in [0, {self.net.vocab}) (vocab), got other values")
        if self.eval_data is not None and self.eval_data.d != self.data.d:
            raise PolylrError(f"eval_data must have context {self.data.d} like the training data, got {self.eval_data.d}")
        if self.loss != "cross-entropy":
            raise PolylrError(f"the character model's loss is 'cross-entropy', got {self.loss!r}")
        if self.dtype not in DTYPES:
            raise PolylrError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        # steps, batch, order_seed, memory_limit: validated by the MLP Training that draws the order
        self._order_training()

    def _order_training(self) -> Training:
        return Training(data=self.data, steps=self.steps, batch=self.batch, order_seed=self.order_seed,
                        memory_limit=self.memory_limit)

    def replace(self, **changes) -> LMTraining:
        return dataclasses.replace(self, **changes)

    @property
    def context(self) -> int:
        return self.data.d

    @property
    def batch_size(self) -> int:
        return self.data.m if self.batch is None else self.batch

    def order(self) -> np.ndarray:
        """The data indices of every step, shape ``(steps, batch)`` (the MLP Training's order)."""
        return self._order_training().order()

    def pair_bytes(self, width: int) -> int:
        """Estimated working memory of one (seed, η) pair: parameters ×(4 + optimizer slots) and the
        activations of one batch (residual stream, hidden layers, logits)."""
        width = self.net.check_width(width)
        item = 4 if self.dtype == "float32" else 8
        P = self.net.n_params(width, self.context)
        rows = max(self.batch_size, self.eval_data.m if self.eval_data is not None else 0)
        acts = rows * (4 * width * (self.net.blocks + 1) + 3 * self.net.ffn * width * self.net.blocks + 2 * self.net.vocab)
        if self.net.arch == "transformer":  # every position: the MLP's activations, Q K V O, attention weights
            B, T = self.net.blocks, self.context
            acts = T * acts + rows * B * T * (8 * width + 2 * self.net.heads * T)
        return item * (P * (4 + self.optimizer.slots) + acts)

    # The same fields mean the same memory as in the MLP Training (n_params takes the context as d).
    seed_bytes = Training.seed_bytes
    data_bytes = Training.data_bytes
    check_memory = Training.check_memory

    def describe(self) -> dict:
        net = self.net
        return {
            "model": "charlm", **({"arch": "transformer", "heads": net.heads, "zero_query": net.zero_query} if net.arch == "transformer" else {}),
            "blocks": net.blocks, "ffn": net.ffn, "activation": net.activation, "gains": net.gains,
            "vocab": net.vocab, "param": net.param.describe(), "optimizer": dataclasses.asdict(self.optimizer),
            "data": self.data.source, "m": self.data.m, "context": self.context,
            "eval_data": None if self.eval_data is None else self.eval_data.source,
            "steps": self.steps, "batch": self.batch, "loss": self.loss, "order_seed": self.order_seed, "dtype": self.dtype,
        }
