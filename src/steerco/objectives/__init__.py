"""Themes, objectives and their alignment."""
