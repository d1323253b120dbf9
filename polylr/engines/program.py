"""The deep-linear t-step gradient-descent program, written once over an η-algebra and a network.

Full-batch GD on ``f(x) = Vᵀ W_L ⋯ W_1 W_0 x`` gives rank-one updates (docs/theory.md, "The η-polynomial and its degree"):
``W_l^(s) = W_l^(0) + η Σ_{r<s} β_l^(r) a_l^(r)ᵀ`` with ``β = −lr·b`` (the backward vector) and ``a``
(the averaged features). No n×n matrix is formed per step: ``W_l^(s) u = W_l^(0) u + η Σ_r β_r (a_r·u)``.
One step is one backward chain (which also gives the outputs, since
``f(x_i) = x_iᵀ W_0ᵀ W_1ᵀ ⋯ W_Lᵀ V``) and one forward chain started from ``Xᵀχ/m``.

:func:`outputs` is that program. It is generic in two seams:

- **the η-algebra** (how "a vector whose entries depend on η" is held): :class:`Stacks` keeps
  exact polynomial coefficients (an array ``(deg + 1, dim)``, row k = coefficient of η^k; degrees are
  static, so the steps are unrolled); :class:`Values` keeps the values at a grid of η (an array
  ``(E, dim)``, row e = the vector at ``etas[e]``; the update terms live in fixed buffers of t slots
  and the steps run in a ``lax.fori_loop``, so the compiled program does not grow with t).
  A new algebra is one class with the methods below.
- **the network** (how the initial weights act): any object with ``dim`` (size of its vector
  representation), ``out()`` (``V``), ``in_fwd(C) = W_0 C``, ``in_bwd(G) = W_0ᵀ G``,
  ``hidden_fwd(l, U) = W_l U``, ``hidden_bwd(l, U) = W_lᵀ U``, each applied to the rows of a 2-d
  array and returning ``(network, result)`` (a network may be stateful: the Gram sampler draws its
  weights lazily, by Gaussian conditioning on what it has been asked). Inner products in the
  network's representation are plain dot products (dense: R^n; Gram: orthonormal coordinates).
  Networks are made by the samplers (:mod:`polylr.engines.samplers`, :mod:`polylr.engines.gram`).

The symbolic engine (:mod:`polylr.engines.expand`) and the Tensor-Programs limit (:mod:`polylr.engines.tp`) keep their own programs:
the first expands non-commuting matrix *words* (its "vectors" are sums of words, and it needs the
word structure, not the vectors' values, to collect terms), the second propagates Gaussian *atoms*
with the Ż correction rule, whose bookkeeping (which atom a vector depends on, per layer and step)
has no counterpart in an operator seam; forcing either through this interface would hide, not
remove, that logic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

# -- coefficient stacks (exact polynomials, static degrees) -----------------------------------------


@functools.lru_cache(maxsize=None)
def _antidiag_index(p1: int, q1: int) -> np.ndarray:
    return (np.arange(p1)[:, None] + np.arange(q1)[None, :]).ravel()


class Stacks:
    """η-algebra of coefficient stacks: a vector is ``(deg + 1, dim)``, a scalar ``(deg + 1,)``."""

    @staticmethod
    def lift(v):
        """A constant vector ``(dim,)`` as a degree-0 stack."""
        return v[None]

    @staticmethod
    def eta_times(u):
        return jnp.concatenate([jnp.zeros((1,) + u.shape[1:], u.dtype), u], axis=0)

    @staticmethod
    def add(u, v):
        if u.shape[0] < v.shape[0]:
            u, v = v, u
        return u.at[: v.shape[0]].add(v)

    @staticmethod
    def minus_target(f, y):
        """``f − y`` for outputs ``f`` (a stack over the data points) and targets ``y``."""
        return f.at[0].add(-y)

    @staticmethod
    def dot(a, b):
        """Cauchy product contracted over the vector axis: (p+1, k)·(q+1, k) -> (p+q+1,)."""
        G = a @ b.T
        idx = _antidiag_index(a.shape[0], b.shape[0])
        return jnp.zeros(a.shape[0] + b.shape[0] - 1, G.dtype).at[idx].add(G.ravel())

    @staticmethod
    def scale(c, v):
        """Scalar polynomial times a stack: (p+1,)·(q+1, k) -> (p+q+1, k), via a Toeplitz matrix."""
        p1, q1 = c.shape[0], v.shape[0]
        i = np.arange(p1 + q1 - 1)[:, None] - np.arange(q1)[None, :]
        mask = (i >= 0) & (i < p1)
        T = jnp.where(mask, c[np.clip(i, 0, p1 - 1)], 0.0)
        return T @ v

    # rank-one update terms: a tuple of (β, a) pairs that grows by one per step
    @staticmethod
    def terms(t, dim_beta, dim_a, dtype):
        return ()

    @staticmethod
    def put(terms, s, beta, a):
        return terms + ((beta, a),)

    @classmethod
    def apply(cls, terms, u, base, transpose=False):
        """``base + η Σ β (a·u)`` (``transpose``: ``base + η Σ a (β·u)``), adding term by term."""
        out = base
        for beta, a in terms:
            if transpose:
                beta, a = a, beta
            out = cls.add(out, cls.eta_times(cls.scale(cls.dot(a, u), beta)))
        return out

    @staticmethod
    def loop(t, step, state):
        for s in range(t):
            state = step(s, state)
        return state


# -- values on an η grid ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Values:
    """η-algebra of values at the grid ``etas`` (shape ``(E,)``): a vector is ``(E, dim)`` (or
    ``(1, dim)`` while it does not depend on η yet), a scalar ``(E,)``. Batching the grid as the
    leading axis (rather than vmapping one η) is what lets a stateful network see every grid point's
    queries at once."""

    etas: jax.Array

    def lift(self, v):
        return jnp.broadcast_to(v, (self.etas.shape[0],) + v.shape)

    def eta_times(self, u):
        return self.etas.reshape((-1,) + (1,) * (u.ndim - 1)) * u

    @staticmethod
    def add(u, v):
        return u + v

    @staticmethod
    def minus_target(f, y):
        return f - y[None]

    @staticmethod
    def dot(a, b):
        return jnp.sum(a * b, axis=-1)

    @staticmethod
    def scale(c, v):
        return c[:, None] * v

    def terms(self, t, dim_beta, dim_a, dtype):
        E = self.etas.shape[0]
        return jnp.zeros((t, E, dim_beta), dtype), jnp.zeros((t, E, dim_a), dtype)

    def put(self, terms, s, beta, a):
        """Slot s holds ``(η β, a)`` (η folded into the backward factor)."""
        B, A = terms
        beta = self.eta_times(beta)
        return B.at[s].set(jnp.broadcast_to(beta, B.shape[1:])), A.at[s].set(jnp.broadcast_to(a, A.shape[1:]))

    @staticmethod
    def apply(terms, u, base, transpose=False):
        """``base + Σ_s (ηβ_s)(a_s·u)`` (``transpose``: ``base + Σ_s a_s (ηβ_s·u)``); empty slots are zero."""
        B, A = terms
        if transpose:
            B, A = A, B
        dots = jnp.einsum("ted,ed->te", A, jnp.broadcast_to(u, A.shape[1:]))
        return base + jnp.einsum("ted,te->ed", B, dots)

    @staticmethod
    def loop(t, step, state):
        return jax.lax.fori_loop(0, t, step, state)


# -- the program ------------------------------------------------------------------------------------


def outputs(A, net, X, y, lrs, L: int, t: int, train_all: bool):
    """``(net, f)``: the outputs ``f^(t)(x_i)`` in algebra ``A`` (stacks: ``(deg + 1, m)``; values:
    ``(E, m)``) after t steps of full-batch GD from the initial network ``net``; ``lrs`` are the
    learning-rate factors ``(in, hidden, out)``; ``train_all``: W_0 and V are trained too."""
    m, d = X.shape
    in_lr, hidden_lr, out_lr = lrs
    n = net.dim
    dtype = X.dtype
    hidden = tuple(A.terms(t, n, n, dtype) for _ in range(L))  # W_l = W_l^(0) + η Σ β aᵀ
    first = A.terms(t, n, d, dtype)  # W_0 = W_0^(0) + η Σ β cᵀ
    V = A.lift(net.out())

    def backward(state):
        """g_L = V, g_{l−1} = W_lᵀ g_l, then f = X W_0ᵀ g_0."""
        net, hidden, first, V = state
        g = [None] * (L + 1)
        g[L] = V
        for l in range(L, 0, -1):
            net, base = net.hidden_bwd(l, g[l])
            g[l - 1] = A.apply(hidden[l - 1], g[l], base, transpose=True)
        net, base = net.in_bwd(g[0])
        w_eff = A.apply(first, g[0], base, transpose=True)
        return net, g, w_eff @ X.T

    def step(s, state):
        net, g, f = backward(state)
        _, hidden, first, V = state
        # Forward chain: c = Xᵀχ/m, a_1 = W_0 c, a_{l+1} = W_l a_l.
        c = A.minus_target(f, y) @ X / m
        a = [None] * (L + 2)
        net, base = net.in_fwd(c)
        a[1] = A.apply(first, c, base)
        for l in range(1, L + 1 if train_all else L):
            net, base = net.hidden_fwd(l, a[l])
            a[l + 1] = A.apply(hidden[l - 1], a[l], base)
        # Gradients: ∇W_l = g_l a_lᵀ, ∇W_0 = g_0 cᵀ, ∇V = a_{L+1}; all from step-s quantities.
        hidden = tuple(A.put(hidden[l - 1], s, -hidden_lr * g[l], a[l]) for l in range(1, L + 1))
        if train_all:
            first = A.put(first, s, -in_lr * g[0], c)
            V = A.add(V, A.eta_times(-out_lr * a[L + 1]))
        return net, hidden, first, V

    state = A.loop(t, step, (net, hidden, first, V))
    net, _, f = backward(state)
    return net, f


def loss_stack(f, y):
    """Coefficients of ``L = (1/2m) Σ_i (f_i − y_i)²`` from the output stack ``f``."""
    chi = Stacks.minus_target(f, y)
    return Stacks.dot(chi, chi) / (2 * y.shape[0])
