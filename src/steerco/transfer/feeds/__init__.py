"""SQL feeds: a metric fed by a read-only SELECT against another database."""
