"""polylr: check theorems about learning-rate transfer under μP, symbolically and numerically.

Importing polylr enables JAX's float64 mode (``jax_enable_x64``): every number compared with
theory is float64.

Data flows one way: a :class:`Setup` goes to the finite-width numeric engine
(:func:`finite_width_polys`) and the infinite-width limit (:func:`limit_polys`), both giving
:class:`EtaPoly` objects; :func:`argmin` finds η*, :func:`sweep` does so across widths and seeds,
:func:`fit_rate` measures rates, and a :class:`Claim`'s check (e.g. :func:`check_theorem1`) turns
them into :class:`Verdict` objects for a report. ``polylr.REGISTRY`` holds the registered claims.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from ._argmin import Argmin as Argmin
from ._argmin import LocalMin as LocalMin
from ._argmin import argmin as argmin
from ._claims import BUDGETS as BUDGETS
from ._claims import Budget as Budget
from ._claims import CheckOptions as CheckOptions
from ._claims import Claim as Claim
from ._claims import DegreeCheck as DegreeCheck
from ._claims import REGISTRY as REGISTRY
from ._claims import SweepCheck as SweepCheck
from ._claims import Verdict as Verdict
from ._claims import check_degree as check_degree
from ._claims import check_parametrization as check_parametrization
from ._claims import check_theorem1 as check_theorem1
from ._claims import check_theorem3 as check_theorem3
from ._claims import get_claim as get_claim
from ._claims import limit_argmin as limit_argmin
from ._claims import register as register
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
from ._evaluate import argmin_on_grid as argmin_on_grid
from ._evaluate import argmins_on_grid as argmins_on_grid
from ._evaluate import finite_argmins as finite_argmins
from ._evaluate import finite_loss_values as finite_loss_values
from ._evaluate import finite_output_values as finite_output_values
from ._evaluate import limit_loss_values as limit_loss_values
from ._evaluate import limit_output_values as limit_output_values
from ._expand import Expansion as Expansion
from ._expand import estimate_terms as estimate_terms
from ._expand import expand as expand
from ._limit import Limit as Limit
from ._limit import eta_inf_t1 as eta_inf_t1
from ._limit import limit_polys as limit_polys
from ._limit import limit_t1 as limit_t1
from ._limit import random_limit_law as random_limit_law
from ._limit import random_limit_t1 as random_limit_t1
from ._limit_t2 import limit_t2_closed_form as limit_t2_closed_form
from ._limit_t2 import limit_t2_document as limit_t2_document
from ._limit_t2 import write_limit_t2_document as write_limit_t2_document
from ._phasemap import PhaseMap as PhaseMap
from ._phasemap import phase_map as phase_map
from ._poly import EtaPoly as EtaPoly
from ._rates import RateFit as RateFit
from ._rates import fit_rate as fit_rate
from ._scaling import CoefficientLimit as CoefficientLimit
from ._scaling import WordScaling as WordScaling
from ._scaling import coefficient_orders as coefficient_orders
from ._scaling import fit_word_orders as fit_word_orders
from ._scaling import limit_coefficients as limit_coefficients
from ._scaling import symbolic_limit as symbolic_limit
from ._scaling import word_scaling as word_scaling
from ._setup import Data as Data
from ._setup import MUP as MUP
from ._setup import NTP as NTP
from ._setup import Parametrization as Parametrization
from ._setup import SP as SP
from ._setup import Setup as Setup
from ._sweep import Sweep as Sweep
from ._sweep import sweep as sweep
from ._tp import limit_degree as limit_degree
from .engines.mlp import ABC as ABC
from .engines.mlp import MLP as MLP
from .engines.mlp import MUP_ADAM as MUP_ADAM
from .engines.mlp import MUP_SGD as MUP_SGD
from .engines.mlp import SP_ADAM as SP_ADAM
from .engines.mlp import SP_SGD as SP_SGD
from .engines.mlp import Optimizer as Optimizer
from .engines.mlp import Training as Training
from .engines.train import Curves as Curves
from .engines.train import LRScan as LRScan
from .engines.train import init_params as init_params
from .engines.train import scan_lr as scan_lr
from .engines.train import train_curves as train_curves
from .claims.nonlinear import NonlinearCheck as NonlinearCheck
from .claims.nonlinear import check_gwb_ball as check_gwb_ball
from .claims.nonlinear import check_gwb_kindex as check_gwb_kindex
from .claims.nonlinear import check_hayou_fig4 as check_hayou_fig4
from .claims.nonlinear import check_hayou_fig5 as check_hayou_fig5
