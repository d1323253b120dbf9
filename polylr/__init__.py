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
from ._errors import PolylrError as PolylrError
from ._evaluate import argmin_on_grid as argmin_on_grid
from ._evaluate import finite_loss_values as finite_loss_values
from ._evaluate import finite_output_values as finite_output_values
from ._evaluate import limit_loss_values as limit_loss_values
from ._evaluate import limit_output_values as limit_output_values
from ._limit import Limit as Limit
from ._limit import limit_polys as limit_polys
from ._limit import limit_t1 as limit_t1
from ._limit_t2 import limit_t2_closed_form as limit_t2_closed_form
from ._limit_t2 import limit_t2_document as limit_t2_document
from ._limit_t2 import write_limit_t2_document as write_limit_t2_document
from ._poly import EtaPoly as EtaPoly
from ._setup import MUP as MUP
from ._setup import NTP as NTP
from ._setup import SP as SP
from ._setup import Data as Data
from ._setup import Parametrization as Parametrization
from ._setup import Setup as Setup
from ._tp import limit_degree as limit_degree

__version__ = "0.1.0"
