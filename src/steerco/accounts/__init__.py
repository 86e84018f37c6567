"""Accounts and access: credentials, sessions, API tokens, role grants, resets."""
