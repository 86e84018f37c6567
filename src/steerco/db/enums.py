"""The closed vocabularies of the model, shared by db, services, schemas and the engine."""

from __future__ import annotations

import enum


class OrgKind(enum.StrEnum):
    COMPANY = "company"
    BUSINESS_UNIT = "business_unit"
    DEPARTMENT = "department"
    TEAM = "team"


class Perspective(enum.StrEnum):
    FINANCIAL = "financial"
    CUSTOMER = "customer"
    INTERNAL_PROCESS = "internal_process"
    LEARNING_GROWTH = "learning_growth"


class ObjectiveLevel(enum.StrEnum):
    COMPANY = "company"
    BUSINESS_UNIT = "business_unit"
    DEPARTMENT = "department"
    TEAM = "team"


class MetricKind(enum.StrEnum):
    KPI = "kpi"
    KEY_RESULT = "key_result"


class Direction(enum.StrEnum):
    INCREASE_TO = "increase_to"
    DECREASE_TO = "decrease_to"
    STAY_AT_OR_ABOVE = "stay_at_or_above"
    STAY_AT_OR_BELOW = "stay_at_or_below"


class IndicatorType(enum.StrEnum):
    LEADING = "leading"
    LAGGING = "lagging"


class Cadence(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


CADENCE_DAYS: dict[Cadence, int] = {Cadence.WEEKLY: 7, Cadence.MONTHLY: 30, Cadence.QUARTERLY: 91}


class ToleranceMode(enum.StrEnum):
    RELATIVE = "relative"
    ABSOLUTE = "absolute"


class Source(enum.StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    CONNECTOR = "connector"
    SQL = "sql"
    WEBHOOK = "webhook"


class InitiativeKind(enum.StrEnum):
    PROGRAM = "program"
    PROJECT = "project"
    COST_MEASURE = "cost_measure"


class StageGate(enum.StrEnum):
    """The stage gate in lifecycle order (an idea is identified, then defined, detailed,
    decided, implemented and closed): STAGE_ORDER, every select and the findings' codes
    follow it."""

    IDENTIFIED = "identified"
    DEFINED = "defined"
    DETAILED = "detailed"
    DECIDED = "decided"
    IMPLEMENTED = "implemented"
    CLOSED = "closed"


STAGE_ORDER: list[StageGate] = list(StageGate)


class DepType(enum.StrEnum):
    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


class BenefitKind(enum.StrEnum):
    METRIC_IMPACT = "metric_impact"
    SAVINGS = "savings"


class BudgetKind(enum.StrEnum):
    OPEX = "opex"
    CAPEX = "capex"
    REVENUE = "revenue"


class EscalationState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class TriageState(enum.StrEnum):
    """Where a finding stands with the people who must act on it."""

    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"


class DecisionKind(enum.StrEnum):
    ACCEPT_RISK = "accept_risk"
    REALLOCATE = "reallocate"
    REPLAN_TARGET = "replan_target"
    REPLAN_DATE = "replan_date"
    STOP = "stop"
    RENEGOTIATE_DEPENDENCY = "renegotiate_dependency"


class ReviewKind(enum.StrEnum):
    WEEKLY_OPS = "weekly_ops"
    MONTHLY_BUSINESS = "monthly_business"
    QUARTERLY_STRATEGY = "quarterly_strategy"


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
