"""All ORM models; importing this module registers every table on `Base.metadata`."""

from steerco.db.base import Base
from steerco.db.models.accounts import (
    ApiToken,
    Credential,
    IdempotencyKey,
    LoginThrottle,
    OutboxMessage,
    PasswordReset,
    RoleGrant,
    WebSession,
)
from steerco.db.models.audit import AuditEntry
from steerco.db.models.connectors import Connector
from steerco.db.models.feeds import MetricFeed
from steerco.db.models.finance import BudgetLine, BudgetPlan, LedgerEntry
from steerco.db.models.generations import TableGeneration
from steerco.db.models.governance import (
    Decision,
    Escalation,
    FindingTriage,
    Review,
    ReviewAction,
    Rule,
)
from steerco.db.models.imports import ImportMapping, ImportUpload
from steerco.db.models.initiatives import (
    Dependency,
    Initiative,
    InitiativeMetric,
    Milestone,
    PlannedBenefit,
)
from steerco.db.models.jobs import (
    Delivery,
    InboxItem,
    JobRun,
    JobStatus,
    NotificationPref,
    ReminderKey,
    WebhookSubscription,
)
from steerco.db.models.metrics import (
    CausalLink,
    ForecastRecord,
    Measurement,
    Metric,
    MetricObjective,
    MetricUpdater,
    PlanPoint,
)
from steerco.db.models.org import Membership, OrgUnit, Person, Workspace
from steerco.db.models.strategy import Alignment, Objective, Theme

__all__ = [
    "Alignment",
    "ApiToken",
    "AuditEntry",
    "Base",
    "BudgetLine",
    "BudgetPlan",
    "CausalLink",
    "Connector",
    "Credential",
    "Decision",
    "Delivery",
    "Dependency",
    "Escalation",
    "FindingTriage",
    "ForecastRecord",
    "IdempotencyKey",
    "ImportMapping",
    "ImportUpload",
    "InboxItem",
    "Initiative",
    "InitiativeMetric",
    "JobRun",
    "JobStatus",
    "LedgerEntry",
    "LoginThrottle",
    "Measurement",
    "Membership",
    "Metric",
    "MetricFeed",
    "MetricObjective",
    "MetricUpdater",
    "Milestone",
    "NotificationPref",
    "Objective",
    "OrgUnit",
    "OutboxMessage",
    "PasswordReset",
    "Person",
    "PlanPoint",
    "PlannedBenefit",
    "ReminderKey",
    "Review",
    "ReviewAction",
    "RoleGrant",
    "Rule",
    "TableGeneration",
    "Theme",
    "WebSession",
    "WebhookSubscription",
    "Workspace",
]

# Registers the flush listeners that write the audit log for every session.
from steerco.db import audit as _audit  # noqa: F401  (needs the models above)
from steerco.db import generations as _generations  # noqa: F401
