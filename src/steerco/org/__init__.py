"""Workspaces, the org tree and people."""
