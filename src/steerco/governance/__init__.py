"""Governance: rules, escalations climbing their ladder, decisions and reviews."""
