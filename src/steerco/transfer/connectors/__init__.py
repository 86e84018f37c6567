"""Connectors: work tracked in Jira or Asana, synced into initiatives, milestones,
dependencies and key results through the import pipeline (steerco.transfer)."""
