"""Random-features ridge regression in the proportional limit (Ghosh, Wu & Bietti, Theorem 3, App. C.4).

Model: ``y = σ_*(⟨x, β_*⟩) + ε`` with ``x ~ N(0, I_d)``, ``‖β_*‖ = 1``, ``Var ε = σ_ε²``; random
features ``φ(x) = σ(W x) ∈ R^n`` with ``W_ij ~ N(0, 1/d)``; ridge on N samples. Proportional limit
``N/d → ψ₁``, ``n/d → ψ₂`` (ψ₂ is the width; ψ₂ → ∞ is the infinite-width, kernel-ridge limit).
σ and σ_* are normalised: ``E σ = 0``, ``E σ² = 1`` under N(0, 1), likewise σ_*; Hermite
coefficients ``μ₁ = E σ'``, ``μ₂² = 1 − μ₁²`` and ``μ₁* = E σ_*'``, ``μ₂*² = 1 − μ₁*²``.

Deterministic equivalent (the paper's eqs. (stieltjes1–2), at z = λ > 0): (m₁, m₂) solve

    (1/ψ₁)(m₁ − m₂)(μ₂² m₁ + μ₁² m₂) + μ₁² m₁ m₂ (λ m₁ − 1) = 0,
    (ψ₂/ψ₁)(μ₁² m₁ m₂ + (1/ψ₁)(m₂ − m₁)) + μ₁² m₁ m₂ (λ m₁ − 1) = 0,

and the prediction risk (test error including the noise) is

    R(λ) = −(μ₂*² + σ_ε²) m₁'(λ)/m₁² − μ₁*² m₂'(λ)/m₁²          (′ = d/dλ).

The root is the one continuous from ψ₂ = ∞, where the second equation becomes
``μ₁² m₁ m₂ + (m₂ − m₁)/ψ₁ = 0`` and the system has the closed form of the appendix
(``t = 1 + μ₁² ψ₁ m₁``, ``R_∞ = ψ₁((μ₂*² + σ_ε²) t² + μ₁*²)/S(t)``, ``S(t) = ψ₁ t² − (t − 1)²``,
``λ*(∞) = μ₁²(σ_ε² + μ₂*²)/μ₁*² − μ₂²``). We follow it by Newton continuation in η = ψ₁/ψ₂ from 0,
and get m′ by implicit differentiation.

**Ridge normalisation (our reading).** The equations' infinite-width limit is kernel ridge
regression with the kernel matrix ``μ₁² XXᵀ/d + μ₂² I`` and ridge λ, i.e. the estimator
``f(x) = k̂(x)ᵀ (K̂ + λ I_N)^{-1} y`` with ``K̂ = ΦΦᵀ/n``, ``k̂(x) = Φ φ(x)/n`` (Φ the N×n feature
matrix): the paper's ``argmin_a Σ_i (y_i − ⟨a, φ(x_i)⟩)² + λ‖a‖²`` with the penalty scaled by the
width, ``λ n ‖a‖²`` (equivalently features ``φ/√n`` and penalty ``λ‖a‖²``). With the penalty
literally ``λ‖a‖²`` the effective ridge would be λ/n → 0 and the ψ₂ = ∞ limit would be ridgeless,
contradicting the λ in the limiting equation. :func:`rf_monte_carlo` fits exactly this estimator;
the tests check that its risk agrees with R(λ) at finite size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..core.errors import PolylrError, check_finite, check_int


# -- activations -----------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _tanh_moments() -> tuple[float, float]:
    """(E tanh(z)², E tanh'(z)) for z ~ N(0, 1): mpmath tanh-sinh quadrature at 30 digits, rounded."""
    import mpmath

    with mpmath.workdps(30):
        g = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        e2 = mpmath.quad(lambda z: mpmath.tanh(z) ** 2 * g(z), [-mpmath.inf, 0, mpmath.inf])
        ed = mpmath.quad(lambda z: g(z) / mpmath.cosh(z) ** 2, [-mpmath.inf, 0, mpmath.inf])
        return float(e2), float(ed)


def student(z):
    """σ = tanh / ‖tanh‖ (odd, E σ = 0, E σ² = 1)."""
    return np.tanh(z) / math.sqrt(_tanh_moments()[0])


RELU_MEAN = 1 / math.sqrt(2 * math.pi)
RELU_SD = math.sqrt(0.5 - 1 / (2 * math.pi))


def teacher(z):
    """σ_* = (ReLU − E ReLU) / sd(ReLU)."""
    return (np.maximum(z, 0.0) - RELU_MEAN) / RELU_SD


@dataclass(frozen=True)
class RFParams:
    """ψ₁ = N/d (samples), σ_ε (noise sd), and the Hermite coefficients of σ = tanh and σ_* = ReLU
    (normalised). The paper's Figure 4: ψ₁ = 4, σ_ε = 1/4."""

    psi1: float = 4.0
    sigma_eps: float = 0.25

    def __post_init__(self) -> None:
        if not check_finite("psi1", self.psi1) > 0:
            raise PolylrError(f"psi1 (= N/d) must be > 0, got {self.psi1}")
        if not check_finite("sigma_eps", self.sigma_eps) >= 0:
            raise PolylrError(f"sigma_eps must be >= 0, got {self.sigma_eps}")

    @property
    def mu1(self) -> float:
        e2, ed = _tanh_moments()
        return ed / math.sqrt(e2)

    @property
    def mu2sq(self) -> float:
        return 1 - self.mu1**2

    @property
    def mu1s(self) -> float:
        return 0.5 / RELU_SD

    @property
    def mu2s_sq(self) -> float:
        return 1 - self.mu1s**2

    @property
    def noise(self) -> float:
        """μ₂*² + σ_ε²: the part of y no linear function of x explains."""
        return self.mu2s_sq + self.sigma_eps**2

    # -- ψ₂ = ∞ closed forms (the appendix) ----------------------------------------------------

    def lam_of_t(self, t):
        m1 = self.mu1**2
        return m1 * self.psi1 / (t - 1) - m1 / t - self.mu2sq

    def risk_inf_of_t(self, t):
        S = self.psi1 * t**2 - (t - 1) ** 2
        return self.psi1 * (self.noise * t**2 + self.mu1s**2) / S

    def t_of_lam(self, lam: float) -> float:
        """t = 1 + μ₁² ψ₁ m₁ at ψ₂ = ∞ (λ(t) decreases from +∞ at t = 1)."""
        hi = 2.0
        while self.lam_of_t(hi) > lam:
            hi *= 2
            if hi > 1e12:
                raise PolylrError(f"no t > 1 with λ(t) = {lam}: λ must exceed {self.lam_of_t(1e12):.4g}")
        return brentq(lambda t: self.lam_of_t(t) - lam, 1 + 1e-15, hi, xtol=1e-15, rtol=1e-15, maxiter=500)

    @property
    def lam_star_inf(self) -> float:
        """λ*(∞) = μ₁²(σ_ε² + μ₂*²)/μ₁*² − μ₂² (eq. optimal-lambda)."""
        return self.mu1**2 * self.noise / self.mu1s**2 - self.mu2sq

    def first_order(self) -> dict:
        """The appendix's first-order constants at ψ₂ → ∞: λ*(ψ₂) ≈ λ*(∞) + C_λ ψ₁/ψ₂ and
        R_ψ₂(λ*(ψ₂)) ≈ R_∞(λ*(∞)) + C_η ψ₁/ψ₂, from t_* = t(λ*(∞))."""
        p1, m1, m2 = self.psi1, self.mu1**2, self.mu2sq
        t = self.t_of_lam(self.lam_star_inf)
        S = p1 * t**2 - (t - 1) ** 2
        c_lam = ((3 * p1 - 4 * m1 * p1 + 1) * t**2 + 2 * (2 * m1 * p1 - 1) * t + 1) / (2 * p1 * t**2)
        c_eta = 2 * self.noise * (m1 + m2 * t) * (t - 1) ** 3 / (m1 * S * (p1 * t - t + 1))
        return {"t_star": t, "C_lambda": c_lam, "C_eta": c_eta}


# -- the deterministic equivalent ---------------------------------------------------------------------


def _equations(m, lam, eta, P: RFParams):
    """(E1, E2/ψ₂·ψ₁ form): the paper's equations with the second divided by ψ₂/ψ₁ (η = ψ₁/ψ₂)."""
    m1, m2 = m
    a, b = P.mu1**2, P.mu2sq
    T3 = a * m1 * m2 * (lam * m1 - 1)
    e1 = (m1 - m2) * (b * m1 + a * m2) / P.psi1 + T3
    e2 = a * m1 * m2 + (m2 - m1) / P.psi1 + eta * T3
    return np.array([e1, e2])


def _jacobian(m, lam, eta, P: RFParams):
    m1, m2 = m
    a, b, p = P.mu1**2, P.mu2sq, P.psi1
    # T3 = a m1 m2 (lam m1 − 1)
    d3_1 = a * m2 * (2 * lam * m1 - 1)
    d3_2 = a * m1 * (lam * m1 - 1)
    d1_1 = ((b * m1 + a * m2) + (m1 - m2) * b) / p + d3_1
    d1_2 = (-(b * m1 + a * m2) + (m1 - m2) * a) / p + d3_2
    d2_1 = a * m2 - 1 / p + eta * d3_1
    d2_2 = a * m1 + 1 / p + eta * d3_2
    J = np.array([[d1_1, d1_2], [d2_1, d2_2]])
    dlam = np.array([a * m1 * m2 * m1, eta * a * m1 * m2 * m1])  # ∂/∂λ of (e1, e2)
    return J, dlam


def _newton(m, lam, eta, P):
    for _ in range(100):
        J, _ = _jacobian(m, lam, eta, P)
        step = np.linalg.solve(J, _equations(m, lam, eta, P))
        m = m - step
        if np.max(np.abs(step) / np.abs(m)) < 1e-15:
            return m
    if np.max(np.abs(_equations(m, lam, eta, P))) > 1e-12:
        raise PolylrError(f"Newton did not converge for the RF fixed point at λ = {lam}, ψ₁/ψ₂ = {eta}")
    return m


def stieltjes(lam: float, psi2: float, P: RFParams = RFParams()) -> tuple[np.ndarray, np.ndarray]:
    """(m₁, m₂) and (m₁′, m₂′) = d/dλ at ridge λ and width ψ₂ (``math.inf`` allowed)."""
    lam = check_finite("ridge λ", lam)
    if lam <= 0:
        raise PolylrError(f"ridge λ must be > 0, got {lam}")
    psi2 = float(psi2)
    if not psi2 > 0:
        raise PolylrError(f"psi2 (= n/d) must be > 0, got {psi2}")
    eta_end = 0.0 if math.isinf(psi2) else P.psi1 / psi2
    t = P.t_of_lam(lam)
    m1 = (t - 1) / (P.mu1**2 * P.psi1)
    m = np.array([m1, m1 / t])
    steps = 0 if eta_end == 0 else max(4, int(math.ceil(eta_end / 0.05)))
    for k in range(1, steps + 1):
        m = _newton(m, lam, eta_end * k / steps, P)
    m = _newton(m, lam, eta_end, P)
    J, dlam = _jacobian(m, lam, eta_end, P)
    return m, -np.linalg.solve(J, dlam)


def risk(lam: float, psi2: float, P: RFParams = RFParams()) -> float:
    """R_ψ₂(λ): the deterministic-equivalent prediction risk (noise included)."""
    m, dm = stieltjes(lam, psi2, P)
    return float(-(P.noise * dm[0] + P.mu1s**2 * dm[1]) / m[0] ** 2)


def risk_inf(lam: float, P: RFParams = RFParams()) -> float:
    """R_∞(λ) from the appendix's closed form (independent of the fixed-point solver)."""
    return float(P.risk_inf_of_t(P.t_of_lam(lam)))


def lam_star(psi2: float, P: RFParams = RFParams(), bracket: tuple[float, float] = (1e-4, 20.0)) -> tuple[float, float]:
    """(λ*(ψ₂), R_ψ₂(λ*)): the minimiser of the risk over λ in ``bracket`` (bounded Brent on log λ,
    to 1e-12 relative)."""
    lo, hi = bracket
    f = (lambda u: risk_inf(math.exp(u), P)) if math.isinf(psi2) else (lambda u: risk(math.exp(u), psi2, P))
    res = minimize_scalar(f, bounds=(math.log(lo), math.log(hi)), method="bounded", options={"xatol": 1e-12, "maxiter": 500})
    if not (math.log(lo) + 1e-6 < res.x < math.log(hi) - 1e-6):
        raise PolylrError(f"λ*(ψ₂ = {psi2}) sits on the end of the bracket {bracket}: widen it")
    return float(math.exp(res.x)), float(res.fun)


@dataclass(frozen=True)
class RFGaps:
    """a, b, c at each ψ₂ (deterministic: the proportional limit has no seeds)."""

    params: RFParams
    psi2: tuple[float, ...]
    lam: tuple[float, ...]
    risk_at_lam: tuple[float, ...]
    lam_inf: float
    risk_inf: float
    a: tuple[float, ...]
    b: tuple[float, ...]
    c: tuple[float, ...]

    def exponent(self, q: str, top: int = 3) -> float:
        """Least-squares slope of log q against log ψ₂ over the ``top`` largest ψ₂."""
        v = np.log(np.abs(np.asarray(getattr(self, q))[-top:]))
        x = np.log(np.asarray(self.psi2[-top:]))
        return float(np.polyfit(x, v, 1)[0])

    def local_exponents(self, q: str) -> list[float]:
        v = np.log(np.abs(np.asarray(getattr(self, q))))
        x = np.log(np.asarray(self.psi2))
        return [float(s) for s in np.diff(v) / np.diff(x)]


def rf_gaps(psi2s, P: RFParams = RFParams()) -> RFGaps:
    """λ*(ψ₂), the loss gap a = |R_ψ₂(λ*(ψ₂)) − R_∞(λ*(∞))|, the hyperparameter gap
    b = |λ*(ψ₂) − λ*(∞)| and the suboptimality c = R_∞(λ*(ψ₂)) − R_∞(λ*(∞)) at each ψ₂."""
    psi2s = tuple(float(check_finite("psi2", p)) for p in psi2s)
    if not psi2s or min(psi2s) <= 0:
        raise PolylrError(f"psi2 values must be > 0, got {list(psi2s)}")
    lam_inf = P.lam_star_inf
    if lam_inf <= 0:
        raise PolylrError(f"λ*(∞) = {lam_inf:.4g} <= 0 for these parameters: the theorem assumes a positive optimal ridge")
    r_inf = risk_inf(lam_inf, P)
    lams, rs, a, b, c = [], [], [], [], []
    for p in psi2s:
        lam, r = lam_star(p, P)
        lams.append(lam)
        rs.append(r)
        a.append(abs(r - r_inf))
        b.append(abs(lam - lam_inf))
        c.append(risk_inf(lam, P) - r_inf)
    return RFGaps(P, psi2s, tuple(lams), tuple(rs), lam_inf, r_inf, tuple(a), tuple(b), tuple(c))


# -- Monte Carlo of actual ridge fits -----------------------------------------------------------------


@dataclass(frozen=True)
class MCRisk:
    """Monte Carlo test risk of random-features ridge fits: mean over ``reps`` fits with its
    standard error, per λ; with everything the fits were run with (ψ₂ and the parameters, the
    dimensions they give, the test-set size and the seed), so the record reproduces itself."""

    params: RFParams
    psi2: float
    d: int
    N: int  # samples, round(ψ₁ d)
    n: int  # features, round(ψ₂ d)
    test: int  # fresh test points per fit
    reps: int
    seed: int  # fit r draws from numpy.random.default_rng([seed, r])
    lams: tuple[float, ...]
    mean: tuple[float, ...]
    se: tuple[float, ...]


MAX_MC_ENTRIES = 50_000_000  # feature-matrix entries per fit (N + test points) × n


def rf_monte_carlo(lams, psi2: float, d: int, P: RFParams = RFParams(), *, reps: int = 20, test: int = 4000,
                   seed: int = 0) -> MCRisk:
    """Fit random-features ridge regression at d, N = round(ψ₁ d), n = round(ψ₂ d) for each λ
    (the estimator of the module docstring), ``reps`` times (``numpy.random.default_rng([seed, rep])``:
    β_*, W, training and test sets), and measure the test risk ``mean (y − f(x))²`` on ``test`` fresh
    points (noise included). Returns the mean over reps and its standard error."""
    d = check_int("d (input dimension)", d, lo=1)
    reps = check_int("reps", reps, lo=2)
    test = check_int("test points", test, lo=10)
    seed = check_int("seed", seed, lo=0)
    lams = tuple(check_finite("λ", x) for x in np.atleast_1d(lams))
    if min(lams) <= 0:
        raise PolylrError(f"ridge λ must be > 0, got {min(lams)}")
    N, n = int(round(P.psi1 * d)), int(round(check_finite("psi2", psi2) * d))
    if N < 1 or n < 1:
        raise PolylrError(f"N = ψ₁ d = {N} and n = ψ₂ d = {n} must be >= 1")
    if (N + test) * n > MAX_MC_ENTRIES:
        raise PolylrError(f"(N + test) · n = {(N + test) * n} feature entries per fit exceeds {MAX_MC_ENTRIES}: lower d, ψ₂ or test")
    out = np.empty((reps, len(lams)))
    for r in range(reps):
        rng = np.random.default_rng([seed, r])
        beta = rng.standard_normal(d)
        beta /= np.linalg.norm(beta)
        W = rng.standard_normal((n, d)) / math.sqrt(d)
        X = rng.standard_normal((N, d))
        y = teacher(X @ beta) + P.sigma_eps * rng.standard_normal(N)
        Xt = rng.standard_normal((test, d))
        yt = teacher(Xt @ beta) + P.sigma_eps * rng.standard_normal(test)
        Phi = student(X @ W.T)
        Phit = student(Xt @ W.T)
        K = Phi @ Phi.T / n
        k = Phit @ Phi.T / n
        ev, U = np.linalg.eigh(K)
        Uy = U.T @ y
        kU = k @ U
        for j, lam in enumerate(lams):
            f = kU @ (Uy / (ev + lam))
            out[r, j] = float(np.mean((yt - f) ** 2))
    mean, se = out.mean(axis=0), out.std(axis=0, ddof=1) / math.sqrt(reps)
    return MCRisk(P, float(psi2), d, N, n, test, reps, seed, lams, tuple(float(x) for x in mean), tuple(float(x) for x in se))
