"""Keep the garbage collector off long-lived caches.

A server process holds large, long-lived structures (the engine's evaluated snapshot, the
pages' findings and schedules). CPython's full collection walks every tracked object, so
with these in the heap each one paused all request threads for 170-310 ms (measured on
the `l` demo), which set the API's 95th percentile under load. Once such a structure is
built, `settle()` moves everything alive into the permanent generation that collections
skip (`gc.freeze`, the remedy CPython documents for this).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()


def settle() -> None:
    """Collect what is garbage now, then exempt all survivors from later collections."""
    with _lock:
        gc.collect()
        gc.freeze()
