"""Budget lines, planned amounts and ledger actuals."""
