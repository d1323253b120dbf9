"""polylr: check theorems about learning-rate transfer under μP, symbolically and numerically.

Importing polylr enables JAX's float64 mode (``jax_enable_x64``): every number compared with
theory is float64.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from ._coeffs import FiniteWidthPolys as FiniteWidthPolys
from ._coeffs import degree_formula as degree_formula
from ._coeffs import draw_weights as draw_weights
from ._coeffs import finite_width_polys as finite_width_polys
from ._coeffs import output_degree as output_degree
from ._coeffs import polys_from_weights as polys_from_weights
from ._coeffs import weight_key as weight_key
from ._derive import derive as derive
from ._derive import write_proofs as write_proofs
from ._errors import PolylrError as PolylrError
from ._expand import Expansion as Expansion
from ._expand import estimate_terms as estimate_terms
from ._expand import expand as expand
from ._poly import EtaPoly as EtaPoly
from ._scaling import CoefficientLimit as CoefficientLimit
from ._scaling import WordScaling as WordScaling
from ._scaling import coefficient_orders as coefficient_orders
from ._scaling import fit_word_orders as fit_word_orders
from ._scaling import limit_coefficients as limit_coefficients
from ._scaling import symbolic_limit as symbolic_limit
from ._scaling import word_scaling as word_scaling
from ._setup import MUP as MUP
from ._setup import NTP as NTP
from ._setup import SP as SP
from ._setup import Data as Data
from ._setup import Parametrization as Parametrization
from ._setup import Setup as Setup

__version__ = "0.1.0"
