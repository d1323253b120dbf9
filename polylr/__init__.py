"""polylr: check theorems about learning-rate transfer under μP, symbolically and numerically.

Importing polylr changes no global state: JAX's configuration and matplotlib's backend stay as
they were. Computations compared with theory run in float64 inside a scoped
``jax.enable_x64(True)`` context (see :mod:`polylr.core.precision`).

Data flows one way: a :class:`Setup` goes to the finite-width numeric engine
(:func:`finite_width_polys`) and the infinite-width limit (:func:`limit_polys`), both giving
:class:`EtaPoly` objects; :func:`argmin` finds η*, :func:`sweep` does so across widths and seeds,
:func:`fit_rate` measures rates, and a :class:`Claim`'s check (e.g. :func:`check_theorem1`) turns
them into :class:`Verdict` objects for a report. ``polylr.REGISTRY`` holds the registered claims.

The names below load on first use (PEP 562): ``import polylr`` itself imports neither JAX nor
sympy nor matplotlib, so ``polylr --help`` starts fast. The first public attribute read
(``polylr.Setup``, ``polylr.REGISTRY``, ...) imports every module listed in the
``if TYPE_CHECKING:`` block, exactly as eager imports would (registering every claim). Add a
public name as one ``from .x import y as y`` line inside that block.
"""

import functools
from typing import TYPE_CHECKING

from .core.version import __version__ as __version__

if TYPE_CHECKING:
    from .analysis.argmin import Argmin as Argmin
    from .analysis.argmin import LocalMin as LocalMin
    from .analysis.argmin import argmin as argmin
    from .analysis.argmin_batch import certified_argmins as certified_argmins
    from .analysis.argmin_batch import fast_argmins as fast_argmins
    from .claims.base import BUDGETS as BUDGETS
    from .claims.base import Budget as Budget
    from .claims.base import CheckOptions as CheckOptions
    from .claims.base import Claim as Claim
    from .claims.base import REGISTRY as REGISTRY
    from .claims.base import Verdict as Verdict
    from .claims.degree import check_degree as check_degree
    from .claims.parametrization import check_parametrization as check_parametrization
    from .claims.theorem1 import check_theorem1 as check_theorem1
    from .claims.theorem3 import check_theorem3 as check_theorem3
    from .claims.base import get_claim as get_claim
    from .claims.theorem3 import limit_argmin as limit_argmin
    from .claims.results import ClaimResult as ClaimResult
    from .claims.results import DegreeCheck as DegreeCheck
    from .claims.results import SweepCheck as SweepCheck
    from .claims.base import register as register
    from .engines.coeffs import FiniteWidthPolys as FiniteWidthPolys
    from .engines.coeffs import degree_formula as degree_formula
    from .engines.coeffs import draw_weights as draw_weights
    from .engines.coeffs import finite_width_polys as finite_width_polys
    from .engines.coeffs import gram_weights as gram_weights
    from .engines.gram import GramSampler as GramSampler
    from .engines.samplers import DenseSampler as DenseSampler
    from .engines.coeffs import output_degree as output_degree
    from .engines.coeffs import polys_from_weights as polys_from_weights
    from .engines.coeffs import weight_key as weight_key
    from .report.derive import derive as derive
    from .report.derive import write_proofs as write_proofs
    from .core.errors import InvalidInput as InvalidInput
    from .core.errors import NotResolved as NotResolved
    from .core.errors import PolylrError as PolylrError
    from .core.errors import TooLarge as TooLarge
    from .analysis.grid import argmin_on_grid as argmin_on_grid
    from .analysis.grid import argmins_on_grid as argmins_on_grid
    from .analysis.grid import finite_argmins as finite_argmins
    from .engines.evaluate import finite_loss_values as finite_loss_values
    from .engines.evaluate import finite_output_values as finite_output_values
    from .engines.evaluate import limit_loss_values as limit_loss_values
    from .engines.evaluate import limit_output_values as limit_output_values
    from .engines.expand import Expansion as Expansion
    from .engines.expand import estimate_terms as estimate_terms
    from .engines.expand import expand as expand
    from .engines.limit import Limit as Limit
    from .engines.limit import eta_inf_t1 as eta_inf_t1
    from .engines.tp import limit_polys as limit_polys
    from .engines.limit import limit_t1 as limit_t1
    from .engines.limit import random_limit_law as random_limit_law
    from .engines.limit import random_limit_t1 as random_limit_t1
    from .engines.limit_t2 import limit_t2_closed_form as limit_t2_closed_form
    from .report.limit_derivation import limit_t2_document as limit_t2_document
    from .report.limit_derivation import write_limit_t2_document as write_limit_t2_document
    from .analysis.phasemap import PhaseMap as PhaseMap
    from .analysis.phasemap import phase_map as phase_map
    from .core.poly import EtaPoly as EtaPoly
    from .analysis.rates import RateFit as RateFit
    from .analysis.rates import fit_rate as fit_rate
    from .engines.scaling import CoefficientLimit as CoefficientLimit
    from .engines.scaling import WordScaling as WordScaling
    from .engines.scaling import coefficient_orders as coefficient_orders
    from .engines.scaling import fit_word_orders as fit_word_orders
    from .engines.scaling import limit_coefficients as limit_coefficients
    from .engines.scaling import symbolic_limit as symbolic_limit
    from .engines.scaling import word_scaling as word_scaling
    from .core.setup import Data as Data
    from .core.setup import MUP as MUP
    from .core.setup import NTP as NTP
    from .core.setup import Parametrization as Parametrization
    from .core.setup import SP as SP
    from .core.setup import Scales as Scales
    from .core.setup import Setup as Setup
    from .analysis.sweep import Sweep as Sweep
    from .analysis.sweep import sweep as sweep
    from .engines.tp import limit_degree as limit_degree
    from .report.expand_grouped import GroupedExpansion as GroupedExpansion
    from .report.expand_grouped import derive_grouped as derive_grouped
    from .report.expand_grouped import estimate_grouped_terms as estimate_grouped_terms
    from .report.expand_grouped import expand_grouped as expand_grouped
    from .report.expand_grouped import grouped_limit as grouped_limit
    from .report.expand_grouped import write_grouped_proofs as write_grouped_proofs
    from .report.limit_derivation import latex_balance_errors as latex_balance_errors
    from .report.limit_derivation import limit_document as limit_document
    from .report.limit_derivation import limit_document_depth1 as limit_document_depth1
    from .report.limit_derivation import write_limit_proofs as write_limit_proofs
    from .engines.limit_symbolic import SymbolicLimit as SymbolicLimit
    from .engines.limit_symbolic import data_moments as data_moments
    from .engines.limit_symbolic import limit_symbolic as limit_symbolic

    from .analysis.gaps import Gaps as Gaps
    from .analysis.gaps import GapFits as GapFits
    from .analysis.gaps import fit_gaps as fit_gaps
    from .analysis.gaps import calibrate_proxy as calibrate_proxy
    from .analysis.gaps import fast_decision as fast_decision
    from .analysis.gaps import fit_gap_samples as fit_gap_samples
    from .analysis.gaps import identity_gram_data as identity_gram_data
    from .analysis.gaps import limit_optimum as limit_optimum
    from .analysis.gaps import long_horizon_eta as long_horizon_eta
    from .analysis.gaps import network_gaps as network_gaps
    from .analysis.gaps import shallow_limit_closed_form as shallow_limit_closed_form
    from .analysis.gaps import shallow_loss_closed_form as shallow_loss_closed_form
    from .analysis.gaps import transfer_decisions as transfer_decisions
    from .claims.fast_transfer import FastTransferCheck as FastTransferCheck
    from .claims.fast_transfer import check_fast_transfer as check_fast_transfer
    from .engines.shallow import shallow_width_polys as shallow_width_polys
    from .engines.rf_ridge import RFParams as RFParams
    from .engines.rf_ridge import rf_gaps as rf_gaps
    from .engines.rf_ridge import rf_monte_carlo as rf_monte_carlo
    from .engines.rf_ridge import risk as rf_risk
    from .engines.rf_ridge import risk_inf as rf_risk_inf
    from .claims.rf_ridge import RFRidgeCheck as RFRidgeCheck
    from .claims.rf_ridge import check_rf_ridge as check_rf_ridge
    from .analysis.transfer_budget import TransferBudget as TransferBudget
    from .analysis.transfer_budget import budget_from_results as budget_from_results
    from .analysis.transfer_budget import transfer_budget as transfer_budget
    from .engines.coeffs import gram_weights as gram_weights
    from .engines.gram import GramSampler as GramSampler
    from .engines.samplers import DenseSampler as DenseSampler
    from .engines.mlp import ABC as ABC
    from .engines.mlp import MLP as MLP
    from .engines.mlp import MUP_ADAM as MUP_ADAM
    from .engines.mlp import MUP_SGD as MUP_SGD
    from .engines.mlp import SP_ADAM as SP_ADAM
    from .engines.mlp import SP_SGD as SP_SGD
    from .engines.mlp import Optimizer as Optimizer
    from .engines.mlp import Training as Training
    from .analysis.train import Curves as Curves
    from .analysis.train import LRScan as LRScan
    from .analysis.train import chunk_shape as chunk_shape
    from .analysis.train import grid_scan as grid_scan
    from .analysis.train import init_params as init_params
    from .analysis.train import scan_lr as scan_lr
    from .analysis.train import train_curves as train_curves
    from .claims.nonlinear import NonlinearCheck as NonlinearCheck
    from .claims.nonlinear import check_gwb_ball as check_gwb_ball
    from .claims.nonlinear import check_gwb_kindex as check_gwb_kindex
    from .claims.nonlinear import check_hayou_fig4 as check_hayou_fig4
    from .claims.nonlinear import check_hayou_fig5 as check_hayou_fig5
    from .engines.charlm import CharLM as CharLM
    from .engines.charlm import LMTraining as LMTraining
    from .engines.charlm import LM_MUP as LM_MUP
    from .engines.charlm import LM_SP as LM_SP
    from .engines.charlm import char_data as char_data
    from .engines.charlm import toy_text as toy_text
    from .claims.lingle import check_ablation as check_ablation
    from .analysis.distributed import Runner as Runner
    from .analysis.distributed import SweepSpec as SweepSpec
    from .analysis.distributed import DaskExecutor as DaskExecutor
    from .analysis.distributed import DeviceExecutor as DeviceExecutor
    from .report.store import ResultStore as ResultStore
    from .report.store import export as export_results
    from .analysis.train import train_paths as train_paths
    from .analysis.train import loss_grads as loss_grads
    from .analysis.decompose import Decomposition as Decomposition
    from .analysis.decompose import DecompositionScan as DecompositionScan
    from .analysis.decompose import decompose_path as decompose_path
    from .analysis.decompose import decompose_scan as decompose_scan
    from .analysis.decompose import select_truncation as select_truncation
    from .analysis.decompose import mean_component_index as mean_component_index
    from .claims.decomposition import check_decomposition as check_decomposition
    from .claims.decomposition import decompose_example as decompose_example
    from .claims.law import LimitLawResult as LimitLawResult
    from .claims.law import limit_law as limit_law
    from .claims.law import check_theorem1_law as check_theorem1_law
    from .claims.law import check_theorem3_law as check_theorem3_law
    from .engines.law import LawDerivatives as LawDerivatives
    from .engines.law import law_derivatives as law_derivatives
    from .engines.law import normalised_outputs as normalised_outputs
    from .engines.law import network_inputs as network_inputs
    from .engines.law import RayLaw as RayLaw
    from .engines.law import ray_law as ray_law
    from .analysis.law import local_argmins as local_argmins

@functools.cache
def _exports() -> dict[str, tuple[str, str]]:
    """``{public name: (module, name in the module)}`` of the ``from .module import name as public``
    lines of the block above."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    return {alias.asname or alias.name: (node.module, alias.name)
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
            for alias in node.names}


def _load() -> None:
    """Import every exported module and bind its names here (what eager imports would do)."""
    from importlib import import_module

    for public, (module, name) in _exports().items():
        globals()[public] = getattr(import_module(f".{module}", __name__), name)


def __getattr__(name: str):
    # Private names are never loaded this way; a public name loads everything, which also binds
    # the subpackages (polylr.engines, ...) as attributes, as eager imports did.
    if not name.startswith("_"):
        _load()
        if name in globals():
            return globals()[name]
    raise AttributeError(f"module 'polylr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_exports()})
