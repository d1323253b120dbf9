"""The Sampler seam: the only place that decides how a network's initial weights are realised.

**Keys.** Every network has its own JAX key, derived once, here, from a master key, the width and
the seed::

    network_key(master, width, seed) = fold_in(fold_in(master, width), seed)

(widths ``>= 2^32``: see :func:`network_key`), where ``master = jax.random.key(master_seed)`` when an integer master seed is given (the sugar every
public API accepts as ``master_seed=``); an explicit ``key=`` (a JAX key) replaces it. So a network
is reproducible from ``(master key, width, seed)`` alone, independently of how seeds are batched or
chunked, and two widths never share draws.

**Samplers.** A sampler turns a network key into a *network*: an object the training program
(:mod:`polylr.engines.program`) queries through ``W_0``, ``W_0ᵀ``, ``W_l``, ``W_lᵀ`` and ``V``
(see there). Samplers are hashable (they are static arguments of jitted functions):

- :class:`DenseSampler` draws the dense Gaussian matrices: ``L·n² + n·d + n`` normals from one
  flat draw of the network key (the draws polylr has always made: same key, same weights, bit for
  bit). Memory ``8·(L·n² + n·(d + 1))`` bytes per network.
- ``GramSampler`` (:mod:`polylr.engines.gram`) realises the same law lazily in coordinates of the
  span of the vectors the program forms, at a cost independent of n; where the t-step polynomial
  program is beyond the engine, ``SpanSampler`` (:mod:`polylr.engines.gram_gd`) finds that span by
  gradient descent (evaluation mode).

:func:`resolve_sampler` maps ``sampler="auto" | "dense" | "gram"`` to one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ..core.choices import SAMPLERS, check_choice
from ..core.errors import InvalidInput, TooLarge, check_int

KEY_SCHEME = "jax.random.fold_in(jax.random.fold_in(jax.random.key(master_seed), width), seed)"

# Dense weights allowed per network (bytes): beyond this the dense sampler refuses (use the Gram sampler).
DENSE_MAX_BYTES = 4 * 2**30


def master_key(master_seed: int | None = 0, key=None) -> jax.Array:
    """The master key: ``key`` if given (a JAX key), else ``jax.random.key(master_seed)``."""
    if key is not None:
        if not (isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ()):
            raise InvalidInput(f"key must be a scalar JAX key (jax.random.key(...)), got {key!r}")
        return key
    master_seed = check_int("master seed", master_seed, lo=0, hi=2**63 - 1)
    return jax.random.key(master_seed)


def width_key(master: jax.Array, width: int) -> jax.Array:
    """``fold_in(master, width)``. ``fold_in`` takes 32-bit data: a width ``>= 2^32`` is folded in as
    its low 32 bits and then its high bits (``fold_in(fold_in(master, width % 2^32), width >> 32)``),
    which leaves every width below 2^32 with the key it always had."""
    width = int(width)
    k = jax.random.fold_in(master, width % 2**32)
    if width >= 2**32:
        k = jax.random.fold_in(k, width >> 32)
    return k


def network_key(master: jax.Array, width: int, seed) -> jax.Array:
    """The key of one network: ``fold_in(width_key(master, width), seed)`` (traceable in ``seed``)."""
    return jax.random.fold_in(width_key(master, width), seed)


def weight_key(master_seed: int, width: int, seed) -> jax.Array:
    """The key of one network from an integer master seed: ``network_key(key(master_seed), width, seed)``."""
    return network_key(jax.random.key(master_seed), width, seed)


def scales_of(setup, width: int):
    """``(stds, lrs)``: ``(in_std, hidden_std, out_std)`` and ``(in_lr, hidden_lr, out_lr)`` at this width."""
    s = setup.param.scales(width, setup.data.d)
    return s.stds, s.lrs


# -- dense --------------------------------------------------------------------------------------------


class OuterLayers:
    """The input and output layers of a network whose vectors have ``dim`` coordinates: ``W0``
    ``(dim, d)`` and ``V`` ``(dim,)`` (explicit weights in R^n, or coordinates in a Gram basis)."""

    @property
    def dim(self) -> int:
        return self.W0.shape[0]

    def out(self):
        return self.V

    def in_fwd(self, C):
        return self, C @ self.W0.T

    def in_bwd(self, G):
        return self, G @ self.W0


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class DenseNet(OuterLayers):
    """A network with explicit weights: ``W0 (n, d)``, ``Ws (L, n, n)``, ``V (n,)``; vectors in R^n."""

    W0: jax.Array
    Ws: jax.Array
    V: jax.Array

    def hidden_fwd(self, l, U):
        return self, U @ self.Ws[l - 1].T

    def hidden_bwd(self, l, U):
        return self, U @ self.Ws[l - 1]


def dense_draw(key, d: int, n: int, L: int, in_std, hidden_std, out_std):
    """``(W0, Ws, V)`` from one network key: one flat standard-normal draw, sliced (it compiles
    ~10× faster than three split draws)."""
    z = jax.random.normal(key, (L * n * n + n * d + n,), dtype=jnp.float64)
    Ws = hidden_std * z[: L * n * n].reshape(L, n, n)
    W0 = in_std * z[L * n * n : L * n * n + n * d].reshape(n, d)
    V = out_std * z[L * n * n + n * d :]
    return W0, Ws, V


@dataclass(frozen=True)
class DenseSampler:
    """Dense Gaussian matrices (see the module docstring)."""

    name: str = "dense"
    static_width = True  # shapes depend on n: one compilation per width

    def network(self, key, stds, *, d: int, n: int, L: int) -> DenseNet:
        return DenseNet(*dense_draw(key, d, n, L, *stds))

    @staticmethod
    def bytes_per_network(d: int, n: int, L: int) -> int:
        return 8 * (L * n * n + n * (d + 1))

    def check(self, setup, width: int) -> None:
        need = self.bytes_per_network(setup.data.d, width, setup.depth)
        if need > DENSE_MAX_BYTES:
            raise TooLarge(
                f"width n = {width} needs {need / 2**30:.3g} GiB of dense weights per network (L·n²·8 bytes; the "
                f"dense sampler allows <= {DENSE_MAX_BYTES / 2**30:.3g} GiB): use sampler='gram' (cost independent of n)"
            )


DENSE = DenseSampler()


def resolve_sampler(sampler, setup, width: int):
    """The sampler object for ``sampler`` (a name in :data:`SAMPLERS` or a sampler object) at this width."""
    from .gram import GramSampler, gram_auto
    from .gram_gd import SpanSampler, beyond_polynomial_program

    if isinstance(sampler, (DenseSampler, GramSampler, SpanSampler)):
        chosen = sampler
    elif sampler == "dense":
        chosen = DENSE
    elif sampler == "gram":  # beyond the polynomial program: the span discovered by gradient descent
        chosen = SpanSampler() if beyond_polynomial_program(setup) else GramSampler.for_setup(setup, width)
    elif sampler == "auto":
        chosen = gram_auto(setup, width)
    else:
        check_choice("sampler", sampler, SAMPLERS)
    chosen.check(setup, width)
    return chosen
