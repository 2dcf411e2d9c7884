"""Civic's sortition engine: fair stratified draws, explained infeasibility, verifiable lotteries.

Pure Python over numpy/scipy/HiGHS; no web framework, no database. The public API:

- `Person`, `Quota`: the input values.
- `leximin(...)`, `legacy(...)` -> `Distribution`: panels with weights, each person's probability.
- `InfeasibleQuotas`: raised when no panel meets the quotas, with `conflicts` and `relaxation`.
- `build_lottery(distribution, m)` -> `Lottery`; `make_record(...)`, `canonical_json(...)`,
  `panel_for_seed(record, seed)`: the transparent lottery and its public record.
- `hash_order(seed, ids)`, `sample(seed, ids, n)`: reproducible hash-ticket sampling.
"""

from sortition.errors import (
    Conflict,
    InfeasibleQuotas,
    InvalidInput,
    QuotaChange,
    SortitionError,
)
from sortition.feasibility import check_feasible
from sortition.legacy import legacy
from sortition.leximin import leximin
from sortition.lottery import (
    Lottery,
    build_lottery,
    canonical_json,
    lottery_sha256,
    make_record,
    panel_for_seed,
    pool_sha256,
    quotas_sha256,
)
from sortition.model import Person, Quota
from sortition.result import Distribution, Progress
from sortition.tickets import hash_order, sample, seed_index, ticket

__version__ = "1.0.0"

__all__ = [
    "Conflict",
    "Distribution",
    "InfeasibleQuotas",
    "InvalidInput",
    "Lottery",
    "Person",
    "Progress",
    "Quota",
    "QuotaChange",
    "SortitionError",
    "__version__",
    "build_lottery",
    "canonical_json",
    "check_feasible",
    "hash_order",
    "legacy",
    "leximin",
    "lottery_sha256",
    "make_record",
    "panel_for_seed",
    "pool_sha256",
    "quotas_sha256",
    "sample",
    "seed_index",
    "ticket",
]
