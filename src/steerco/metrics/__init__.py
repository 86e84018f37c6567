"""Metrics (KPIs and key results), plans and causal links."""
