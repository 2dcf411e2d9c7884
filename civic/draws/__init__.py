"""Public draws by lot: a record published before the seed exists, then the seed, then the
selection; anyone can re-derive it with `python -m sortition verify` (see docs/draws.md).

Generic: panels and pilots (and anything else) prepare, publish and seed their draws here.
"""

from flask import Blueprint

bp = Blueprint("draws", __name__)

from civic.draws import views  # noqa: E402,F401
