"""Cross-team dependencies between milestones and initiatives."""
