"""The evidence engine wired to the database: snapshot, recompute, status, check-ins."""
