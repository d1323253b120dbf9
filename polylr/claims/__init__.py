"""Claims: each theorem of the papers as a named, checkable object with verdicts.

One module per claim; importing this package registers them (in this order) in
:data:`polylr.claims.base.REGISTRY`.
"""

from . import theorem1 as theorem1  # noqa: F401  (registers the claim)
from . import parametrization as parametrization  # noqa: F401
from . import theorem3 as theorem3  # noqa: F401
from . import degree as degree  # noqa: F401
from . import fast_transfer as fast_transfer  # noqa: F401
from . import rf_ridge as rf_ridge  # noqa: F401
from . import nonlinear as nonlinear  # noqa: F401
from . import decomposition as decomposition  # noqa: F401
from . import lingle as lingle  # noqa: F401
from . import law as law  # noqa: F401
