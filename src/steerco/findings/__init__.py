"""Signals, hygiene findings and what-ifs over a workspace (the interdependency engine)."""
