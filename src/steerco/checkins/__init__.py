"""Check-ins: append-only measurements with evidence."""
