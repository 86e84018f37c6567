"""Initiatives, milestones, planned benefits and the stage gate."""
