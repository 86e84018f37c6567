"""The HTTP application: app factory, error shapes, and (later) pages."""
