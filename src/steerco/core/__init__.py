"""The pure engine: frozen inputs in, results out. No I/O, no ORM, no clock.

Everything here takes `as_of` (and every other input) as an argument, so the same inputs
always give the same outputs and the engine can be tested without a database.
"""
