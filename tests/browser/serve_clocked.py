"""`steerco serve` exactly as `make run` starts it, with the clock of
tests/browser/app_factory.py (STEERCO_TEST_CLOCK_FILE: days to add to the real time)
installed first, so the in-process job scheduler and the pages live on the moved day.

    python -m tests.browser.serve_clocked serve --port 8123
"""

from __future__ import annotations

from tests.browser.app_factory import _simulated_clock

if __name__ == "__main__":
    _simulated_clock()  # before steerco.jobs.schedule binds clock.now as its default
    from steerco.cli import main

    main()
