"""Generate a whole demo company, deterministically, as columnar tables (no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from steerco.demo.finance import build_finance, build_governance
from steerco.demo.metrics import build_metrics
from steerco.demo.org import build_org, build_strategy
from steerco.demo.sizes import get_size
from steerco.demo.tables import Table
from steerco.demo.work import build_work

#: Tables in foreign-key order: the loader writes them in this order.
TABLE_ORDER = [
    "org_units", "people", "memberships", "themes", "objectives", "alignments", "metrics",
    "metric_objectives", "plan_points", "measurements", "causal_links", "initiatives",
    "initiative_metrics", "milestones", "dependencies", "budget_lines", "budget_plans",
    "ledger_entries", "planned_benefits", "rules", "reviews",
]


@dataclass
class DemoData:
    """A generated company: its name and one columnar table per database table."""

    company: str
    size: str
    seed: int
    as_of: dt.date
    tables: dict[str, Table]

    def counts(self) -> dict[str, int]:
        """Return the number of rows per table."""
        return {name: t.n for name, t in self.tables.items()}


def generate(size: str, seed: int, as_of: dt.date) -> DemoData:
    """Generate the demo company of `size` (s, m, l, xl); same seed and as_of, same rows."""
    spec = get_size(size)
    rng = np.random.default_rng([seed, 0x57EE2C0])
    org, org_tables = build_org(spec, rng)
    strategy, strategy_tables = build_strategy(spec, rng, org, as_of)
    metrics, metric_tables = build_metrics(spec, rng, org, strategy, as_of)
    work, work_tables = build_work(spec, rng, org, metrics, as_of)
    finance_tables = build_finance(rng, org, work, metrics, as_of)
    governance_tables = build_governance(rng, org, as_of)
    tables = {t.name: t for t in [*org_tables, *strategy_tables, *metric_tables, *work_tables,
                                  *finance_tables, *governance_tables]}
    return DemoData(org.company, size, seed, as_of, {n: tables[n] for n in TABLE_ORDER})
