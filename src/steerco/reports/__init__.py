"""Printed outputs: the pack of a review (HTML and PDF)."""
