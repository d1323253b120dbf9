"""The one polynomial type: a univariate polynomial in the learning rate η.

Every producer (finite-width numeric, finite-width symbolic, infinite-width limit) returns
:class:`EtaPoly` objects, which is what makes them interchangeable and cross-checkable.

The domain lives in the type, as in sympy's ``polys``:

- ``"float64"``: coefficients are a read-only numpy float64 array (ascending powers of η);
- ``"QQ"``: exact rationals, held by python-flint's ``fmpq_poly`` (the backend may change; the
  API does not: :attr:`EtaPoly.coeffs` gives :class:`fractions.Fraction` values).

Every polynomial knows its error. A float64 polynomial may carry :attr:`EtaPoly.error`: per
coefficient, a bound on ``|c_k(true) - c_k(stored)|`` (engines attach it: see
:mod:`polylr.engines.bounds` for the models and how they were measured). Its evaluation error on
``η >= 0`` is then at most ``Σ_k error_k η^k`` (:meth:`EtaPoly.error_bound`), and
:func:`polylr.argmin` refuses (:class:`~polylr.NotResolved`) when that bound could move the
minimiser. ``error = None`` means the stored coefficients are the polynomial (a user's input, or an
exact one). Arithmetic on float64 polynomials propagates the bounds and adds its own rounding.
``nonnegative = True`` marks a loss (a sum of squares): a negative minimum is then an error.

Evaluation: an exact ``"QQ"`` polynomial evaluates exactly at every input (ints and Fractions give a
Fraction; floats and arrays of floats give the correctly rounded float64 of the exact value). A
float64 polynomial evaluates in float64 (Horner); its result errs by at most
``(2D + 1)·ε·Σ|c_k||η|^k`` on top of :meth:`EtaPoly.error_bound`.
"""

from __future__ import annotations

import math

import numbers
from fractions import Fraction
from typing import Iterable, Sequence

import flint
import numpy as np
import sympy

from .errors import InvalidInput, PolylrError

DOMAINS = ("float64", "QQ")
EPS = float(np.finfo(np.float64).eps)  # 2^-52; unit roundoff u = EPS / 2


def to_fmpq(x) -> flint.fmpq:
    """``x`` as an exact python-flint rational: ints, Fractions, sympy rationals and ``fmpq`` as they
    are, finite floats as the binary rationals they are (nan and ±inf refused)."""
    if isinstance(x, flint.fmpq):
        return x
    if isinstance(x, sympy.Rational):
        return flint.fmpq(int(x.p), int(x.q))
    if isinstance(x, (numbers.Rational,)):
        f = Fraction(x)
        return flint.fmpq(f.numerator, f.denominator)
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise PolylrError(f"cannot make an exact coefficient from {x}")
        n, d = float(x).as_integer_ratio()
        return flint.fmpq(n, d)
    if isinstance(x, sympy.Basic) and x.is_Rational:
        return flint.fmpq(int(x.p), int(x.q))
    raise PolylrError(f"cannot make an exact rational coefficient from {x!r} ({type(x).__name__})")


def fmpq_to_fraction(q: flint.fmpq) -> Fraction:
    """An exact python-flint rational as a :class:`fractions.Fraction`."""
    return Fraction(int(q.p), int(q.q))


def fmpq_to_float(q: flint.fmpq) -> float:
    """The correctly rounded float of an exact python-flint rational (``Fraction``'s division)."""
    return float(fmpq_to_fraction(q))


class EtaPoly:
    """A polynomial ``c_0 + c_1 η + ... + c_D η^D``.

    Parameters
    ----------
    coeffs:
        Ascending coefficients. Floats give a ``"float64"`` polynomial; ints, Fractions, sympy
        Rationals or an ``fmpq_poly`` give an exact ``"QQ"`` polynomial unless ``domain`` says
        otherwise.
    domain:
        ``"float64"`` or ``"QQ"``; inferred when omitted.
    label:
        What the polynomial is, e.g. ``"L_n^(1)"`` (used in reports and LaTeX).
    error:
        float64 only: per-coefficient bounds on the coefficients' own error (non-negative, finite;
        ``None``: the coefficients are exact as stored). See the module docstring.
    nonnegative:
        The polynomial is non-negative by construction (a loss); :func:`polylr.argmin` treats a
        negative minimum as an error.
    """

    __slots__ = ("_c", "domain", "label", "error", "nonnegative")

    def __init__(self, coeffs, domain: str | None = None, label: str = "", *, error=None, nonnegative: bool | None = None):
        if isinstance(coeffs, EtaPoly):
            src = coeffs
            coeffs = src._c
            if error is None and (domain or src.domain) == src.domain:
                error = src.error
            if error is None and src.domain == "QQ" and domain == "float64":
                error = _rounding_error(src)
            nonnegative = src.nonnegative if nonnegative is None else nonnegative
            domain = domain or src.domain
            label = label or src.label
        if domain is None:
            domain = "QQ" if _looks_exact(coeffs) else "float64"
        if domain not in DOMAINS:
            raise PolylrError(f"domain must be one of {DOMAINS}, got {domain!r}")
        self.domain = domain
        self.label = label
        if domain == "QQ":
            if isinstance(coeffs, flint.fmpq_poly):
                self._c = coeffs
            else:
                self._c = flint.fmpq_poly([to_fmpq(c) for c in _as_list(coeffs)])
        else:
            if isinstance(coeffs, flint.fmpq_poly):
                arr = np.array([fmpq_to_float(c) for c in coeffs.coeffs()], dtype=np.float64)
            else:
                arr = np.array(
                    [float(c) for c in _as_list(coeffs)] if not isinstance(coeffs, np.ndarray) else coeffs,
                    dtype=np.float64,
                )
            if arr.ndim != 1:
                raise PolylrError(f"coefficients must be 1-d, got shape {arr.shape}")
            if arr.size == 0:
                arr = np.zeros(1)
            if not np.all(np.isfinite(arr)):
                raise PolylrError(f"coefficients of {label or 'the polynomial'} are not all finite")
            arr = arr.copy()
            arr.setflags(write=False)
            self._c = arr
        self.error = _check_error(error, self) if error is not None else None
        self.nonnegative = bool(nonnegative)

    # -- views -------------------------------------------------------------------------------

    @property
    def coeffs(self) -> np.ndarray | tuple[Fraction, ...]:
        """Ascending coefficients: a float64 array, or a tuple of Fractions for ``"QQ"``."""
        if self.domain == "QQ":
            cs = tuple(fmpq_to_fraction(c) for c in self._c.coeffs())
            return cs or (Fraction(0),)
        return self._c

    @property
    def degree(self) -> int:
        """Index of the highest non-zero coefficient (``-1`` for the zero polynomial)."""
        if self.domain == "QQ":
            return self._c.degree()
        nz = np.flatnonzero(self._c)
        return int(nz[-1]) if nz.size else -1

    def to_float(self) -> EtaPoly:
        """The float64 polynomial of the correctly rounded coefficients; its :attr:`error` is the
        rounding (half an ulp of each coefficient)."""
        return self if self.domain == "float64" else EtaPoly(self, "float64")

    def to_exact(self) -> EtaPoly:
        """The exact rational polynomial with the same coefficients (floats are exact rationals).
        The float64 polynomial's :attr:`error` is dropped: it is the stored coefficients that
        become exact, not the quantity they approximate."""
        if self.domain == "QQ":
            return self
        return EtaPoly([to_fmpq(c) for c in self._c], "QQ", self.label, nonnegative=self.nonnegative)

    def error_bound(self, eta):
        """Bound on ``|p_true(η) - p_stored(η)|`` from the coefficient errors, ``Σ_k error_k |η|^k``
        (0 when :attr:`error` is None), rounded up; arrays broadcast."""
        x = np.abs(np.asarray(eta, dtype=np.float64))
        if self.error is None:
            return np.zeros_like(x) if x.ndim else 0.0
        with np.errstate(over="ignore"):
            v = np.polynomial.polynomial.polyval(x, self.error) * (1 + 4 * self.error.size * EPS)
        return v if x.ndim else float(v)

    def as_fmpq_poly(self) -> flint.fmpq_poly:
        return self.to_exact()._c

    def relabel(self, label: str) -> EtaPoly:
        return EtaPoly(self, label=label)

    # -- evaluation and calculus -------------------------------------------------------------

    def __call__(self, eta):
        """Evaluate at ``eta`` (arrays broadcast).

        ``"QQ"``: exactly, always. An int, Fraction or ``fmpq`` gives the exact Fraction; a float
        (or an array) gives the correctly rounded float64 of the exact value at that float (a float
        is an exact binary rational). ``"float64"``: Horner in float64 (see the module docstring
        for its error)."""
        if self.domain == "QQ":
            if isinstance(eta, (numbers.Rational, flint.fmpq)) and not isinstance(eta, bool):
                return fmpq_to_fraction(self._c(to_fmpq(eta)))
            x = np.asarray(eta, dtype=np.float64)
            if not np.all(np.isfinite(x)):
                raise InvalidInput(f"cannot evaluate {self.label or 'the polynomial'} at a non-finite η")
            out = np.array([_round(self._c(to_fmpq(float(v)))) for v in x.ravel()], dtype=np.float64)
            return out.reshape(x.shape) if x.ndim else float(out[0])
        with np.errstate(over="ignore", invalid="ignore"):  # overflow gives ±inf (or NaN), without a warning
            return np.polynomial.polynomial.polyval(np.asarray(eta, dtype=np.float64), self._c)

    def deriv(self, order: int = 1) -> EtaPoly:
        p = self
        for _ in range(order):
            if p.domain == "QQ":
                p = EtaPoly(p._c.derivative(), "QQ", p.label and p.label + "'")
            else:
                k = np.arange(1, p._c.size)
                c = p._c[1:] * k if p._c.size > 1 else np.zeros(1)
                e = None
                if p.error is not None:
                    e = (p.error[1:] * k + EPS * np.abs(c)) if p._c.size > 1 else np.zeros(1)
                p = EtaPoly(c, "float64", p.label and p.label + "'", error=e)
        return p

    # -- arithmetic (mixed domains give float64) ---------------------------------------------

    def _coerce(self, other) -> tuple[EtaPoly, EtaPoly]:
        if not isinstance(other, EtaPoly):
            other = EtaPoly([other], "QQ" if self.domain == "QQ" and _looks_exact([other]) else "float64")
        if self.domain == other.domain:
            return self, other
        return self.to_float(), other.to_float()

    def __add__(self, other):
        a, b = self._coerce(other)
        nonneg = a.nonnegative and b.nonnegative
        if a.domain == "QQ":
            return EtaPoly(a._c + b._c, "QQ", nonnegative=nonneg)
        n = max(a._c.size, b._c.size)
        c = np.pad(a._c, (0, n - a._c.size)) + np.pad(b._c, (0, n - b._c.size))
        e = _pad(a._err(), n) + _pad(b._err(), n) + (EPS / 2) * np.abs(c)  # + the sum's rounding
        return EtaPoly(c, "float64", error=e, nonnegative=nonneg)

    __radd__ = __add__

    def __neg__(self):
        return EtaPoly(-self._c, self.domain, self.label, error=self.error, nonnegative=False)

    def _err(self) -> np.ndarray:
        return self.error if self.error is not None else np.zeros(self._c.size)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        a, b = self._coerce(other)
        if a.domain == "QQ":
            return EtaPoly(a._c * b._c, "QQ", nonnegative=a.nonnegative and b.nonnegative)
        c = np.convolve(a._c, b._c)
        ea, eb = a._err(), b._err()
        aa, ab = np.abs(a._c), np.abs(b._c)
        # propagated errors, plus the convolution's rounding: gamma_k <= k·eps for k-term sums
        k = min(a._c.size, b._c.size) + 1
        e = np.convolve(aa, eb) + np.convolve(ea, ab) + np.convolve(ea, eb) + k * EPS * np.convolve(aa, ab)
        return EtaPoly(c, "float64", error=e, nonnegative=a.nonnegative and b.nonnegative)

    __rmul__ = __mul__

    def __pow__(self, k: int):
        if not isinstance(k, numbers.Integral) or k < 0:
            raise PolylrError(f"power must be a non-negative integer, got {k!r}")
        out = EtaPoly([1], self.domain)
        for _ in range(int(k)):
            out = out * self
        return out

    def __eq__(self, other) -> bool:
        if not isinstance(other, EtaPoly):
            return NotImplemented
        if self.domain == other.domain == "QQ":
            return self._c == other._c
        a, b = self.to_float()._c, other.to_float()._c
        n = max(a.size, b.size)
        return bool(np.array_equal(np.pad(a, (0, n - a.size)), np.pad(b, (0, n - b.size))))

    __hash__ = None  # mutable-looking numeric container; compare with ==

    def max_rel_diff(self, other: EtaPoly) -> float:
        """``max_k |a_k - b_k| / max_k max(|a_k|, |b_k|)``: coefficient-wise relative disagreement."""
        a, b = self.to_float()._c, other.to_float()._c
        n = max(a.size, b.size)
        a, b = np.pad(a, (0, n - a.size)), np.pad(b, (0, n - b.size))
        scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
        return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)

    # -- symbolic views ----------------------------------------------------------------------

    def to_sympy(self, eta: sympy.Symbol | None = None) -> sympy.Expr:
        eta = eta if eta is not None else sympy.Symbol("eta")
        if self.domain == "QQ":
            cs = [sympy.Rational(c.numerator, c.denominator) for c in self.coeffs]
        else:
            cs = [sympy.Float(float(c), 17) for c in self._c]
        return sympy.Add(*[c * eta**k for k, c in enumerate(cs)])

    @classmethod
    def from_sympy(cls, expr, eta: sympy.Symbol, *, label: str = "") -> EtaPoly:
        p = sympy.Poly(sympy.sympify(expr), eta)
        cs = list(reversed(p.all_coeffs()))
        exact = all(c.is_Rational for c in cs)
        return cls(cs if exact else [float(c) for c in cs], "QQ" if exact else "float64", label)

    def latex(self, var: str = r"\eta", digits: int = 6) -> str:
        terms = []
        for k, c in enumerate(self.coeffs):
            if c == 0:
                continue
            if self.domain == "QQ":
                mag = abs(c)
                num = (
                    str(mag.numerator)
                    if mag.denominator == 1
                    else rf"\frac{{{mag.numerator}}}{{{mag.denominator}}}"
                )
            else:
                mag = abs(float(c))
                num = _latex_float(mag, digits)
            sign = "-" if c < 0 else "+"
            mono = "" if k == 0 else (var if k == 1 else f"{var}^{{{k}}}")
            body = num if k == 0 else (mono if num == "1" else rf"{num}\,{mono}")
            terms.append((sign, body))
        if not terms:
            return "0"
        first_sign, first = terms[0]
        s = ("-" if first_sign == "-" else "") + first
        for sign, body in terms[1:]:
            s += f" {sign} {body}"
        return s

    def __repr__(self) -> str:
        lab = f" {self.label}" if self.label else ""
        if self.domain == "QQ":
            cs = ", ".join(str(c) for c in self.coeffs[:8])
        else:
            cs = ", ".join(f"{c:.6g}" for c in self._c[:8])
        more = ", ..." if len(self.coeffs) > 8 else ""
        return f"EtaPoly{lab}[{self.domain}, degree {self.degree}]({cs}{more})"


def _round(q: flint.fmpq) -> float:
    """The correctly rounded float64 of an exact rational (CPython's int/int division rounds correctly);
    beyond float64's range, ±inf (the correct rounding; int/int raised OverflowError)."""
    try:
        return int(q.p) / int(q.q)
    except OverflowError:
        return math.inf if int(q.p) > 0 else -math.inf


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    return np.pad(a, (0, n - a.size))


def _rounding_error(p: EtaPoly) -> np.ndarray:
    """Half an ulp of each correctly rounded coefficient of an exact polynomial."""
    c = np.array([_round(q) for q in p._c.coeffs()] or [0.0], dtype=np.float64)
    return np.spacing(np.abs(c)) / 2


def _check_error(error, p: EtaPoly) -> np.ndarray:
    if p.domain != "float64":
        raise InvalidInput("only a float64 polynomial carries an error bound (an exact one has none)")
    e = np.array(error, dtype=np.float64).ravel()
    if e.size > p._c.size or not np.all(np.isfinite(e)) or np.any(e < 0):
        raise InvalidInput(
            f"error bounds of {p.label or 'the polynomial'} must be {p._c.size} finite non-negative numbers "
            f"(one per coefficient), got {e.size} with min {e.min() if e.size else 'n/a'}"
        )
    e = _pad(e, p._c.size)
    e.setflags(write=False)
    return e


def _latex_float(x: float, digits: int) -> str:
    s = f"{x:.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return s


def _as_list(coeffs) -> list:
    if isinstance(coeffs, np.ndarray):
        return list(coeffs.ravel()) if coeffs.ndim <= 1 else _raise_shape(coeffs)
    return list(coeffs)


def _raise_shape(a):
    raise PolylrError(f"coefficients must be 1-d, got shape {a.shape}")


def _looks_exact(coeffs) -> bool:
    if isinstance(coeffs, flint.fmpq_poly):
        return True
    if isinstance(coeffs, np.ndarray):
        return coeffs.dtype.kind in "iu"
    items: Sequence = list(coeffs) if isinstance(coeffs, Iterable) else [coeffs]
    return all(
        isinstance(c, (numbers.Rational, flint.fmpq)) and not isinstance(c, bool)
        or (isinstance(c, sympy.Basic) and c.is_Rational)
        for c in items
    )
