"""Background work: the periodic schedule, reminders and the delivery of the outbox.

`schedule.tick(engine, now)` runs whatever is due at `now` (tests drive it with a
simulated clock); `queue` wraps it in huey for `steerco serve` (in-process, SQLite
storage) and `steerco worker` (Redis storage, any number of processes).
"""
