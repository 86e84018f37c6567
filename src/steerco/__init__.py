"""steerco: strategy execution computed from evidence."""

__version__ = "0.1.0"
