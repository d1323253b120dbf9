"""Named tolerances for polylr's tests, and why each is what it is.

float64: unit roundoff u = 2^-53 ≈ 1.1e-16 (machine epsilon 2.2e-16). A result reached through k
roundings is good to about k·u relative to the size of the terms summed (not to the result, when
terms cancel: hence the "relative to Σ|c_k η^k|" scales in the tests). Each tolerance below is a
bound for one kind of comparison; the margin is the tolerance over the largest error measured
(where measured; the measurement and its command are named). A test that needs a looser bound
states its own, with its measured reason; none of these was loosened when they were named (issue
8, item 7: the values are the literals the tests used before).
"""

# -- float64 identities ------------------------------------------------------------------------

#: The same number computed two ways with a handful of roundings each (a closed form evaluated
#: twice, Fraction vs float of one polynomial, the argmin of a quadratic against its formula):
#: at most a few ulp, ~4.5e-16; 1e-15 allows ~4 ulp of disagreement.
ROUNDING_REL = 1e-15

#: A float64 closed form built from m×m matrix products or a solve (K y, yᵀK^j y / ‖K y‖²) against
#: an engine's value: tens of roundings, amplified by cond(K) (<= ~100 on the test data);
#: 1e-13 ≈ 450 u.
CLOSED_FORM_REL = 1e-13

#: Two float64 routes to the same quantity (one batch vs single seeds, seeds reordered, the
#: Tensor-Programs engine vs the t = 1, 2 closed forms, float vs exact limit argmin, a CLI row vs
#: the library, the argmin's value against a dense grid, relative to the scale of the terms):
#: hundreds of roundings over polynomials of degree <= ~20; measured ~1e-15 for the Krylov moments
#: (tests/test_limit_symbolic.py); 1e-12 gives a margin ~1e3.
SAME_QUANTITY_REL = 1e-12

#: Evaluation mode (η values by gradient descent in JAX, on a grid) against the exact
#: polynomial's values, relative to max(|value|, Σ|c_k η^k|): t steps of GD at each η, each a
#: few matrix products; 1e-11.
EVALUATION_REL = 1e-11

#: Exact η-coefficients (engine, symbolic or compiled expansion, float vs exact limit) evaluated at
#: η and compared with direct gradient descent or each other, relative to Σ|c_k η^k| (the scale
#: at which float64 evaluation of a polynomial is exact): measured <= 1.3e-14 for the grouped
#: expansion (tests/test_expand_grouped.py), margin ~1e4.
POLY_VS_GD_REL = 1e-10

#: The grouped/symbolic expansion's outputs against direct GD at a few η, relative to
#: max(1, |f|): measured <= 9e-16 (tests/test_expand_grouped.py), margin ~1e6; the planted wrong
#: expansion there misses by > 1e-6, so the bound still discriminates.
DIRECT_GD_REL = 1e-9

# -- argmin locations -----------------------------------------------------------------------------

#: Location of a certified argmin (root isolation of L') where two minima differ in value by only
#: ~1e-12: the location is determined far better than the value (the minimum is quadratic), 1e-9.
ARGMIN_ABS = 1e-9

#: A grid argmin refined in evaluation mode (no exact polynomial) against the exact answer:
#: the refinement stops at ~1e-8 relative to the grid step; 1e-8 absolute for a refined centre,
#: 1e-7 relative or absolute for an argmin of a t = 2 loss found by GD against the certified one.
GRID_ARGMIN_ABS = 1e-8
GD_ARGMIN_TOL = 1e-7

# -- Monte Carlo ------------------------------------------------------------------------------------

#: Sample standard deviation of N i.i.d. Gaussian weights: relative standard error 1/√(2N).
#: Default setup (d = 4), width 256, depth 2: W0 has N = 1024 (s.e. 0.022), the hidden layers
#: N = 131072 (s.e. 0.0020), V N = 256 (s.e. 0.044); the tolerances are 4.5, 10 and 3.4 s.e.
WEIGHT_SD_REL_INPUT = 0.1
WEIGHT_SD_REL_HIDDEN = 0.02
WEIGHT_SD_REL_OUTPUT = 0.15

# -- floors and slacks --------------------------------------------------------------------------------

#: Absolute floor for outputs that are ~0 in evaluation mode: 1e-13 of the largest output, so an
#: output whose terms cancel to ~0 is compared at the scale of its neighbours (~450 u).
EVALUATION_FLOOR_REL = 1e-13

#: Slack for interval strategies' guarantees computed in float (hi − lo >= min_length up to the
#: rounding of lo + min_length): 1e-12 relative, far above one rounding (1.1e-16).
INTERVAL_SLACK_REL = 1e-12

#: The batched certified argmin (analysis/argmin_batch.py) against the exact one (analysis/argmin.py),
#: η and loss value in units in the last place: the exact path rounds the exact root and value once;
#: the fast path's compensated Horner is faithful (<= 1 ulp from the exact value) and its root is
#: where the compensated sign of L' changes. 4 ulp allows both roundings plus the root's own
#: conditioning (tests/test_argmin_batch.py measures the largest: see its comments).
FAST_ARGMIN_ULP = 4

# -- the finite-width law (tests/test_law.py) -----------------------------------------------------------

#: F(0) (the Gram network at θ = 0) against the Tensor-Programs limit: the issue's 1e-12 relative
#: to the largest coefficient (measured 4e-16 at t = 1, 6e-16 at t = 2: margin > 1000×).
LAW_F0_REL = 1e-12
#: σ against the Monte Carlo √n·sd(η_n): the issue's 2 % at n = 2^20 with 20 000 networks (one
#: standard error of a standard deviation is 1/sqrt(2N) = 0.5 %: 4 s.e.).
LAW_SIGMA_REL = 0.02
#: Default-run version: this many standard errors 1/sqrt(2N) of the sample sd.
LAW_SIGMA_SE = 4.0
