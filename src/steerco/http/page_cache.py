"""A per-process cache of list pages that is never stale.

A list page (say the first 50 objectives) is the same bytes for every reader of the
workspace until one of the tables it is built from changes. Each cached page remembers
the generations of its tables (db/generations.py: bumped in every writing transaction);
a request reads the current generations with one small query in its own transaction and
gets the cached bytes only if none moved. So a reader never sees a page older than the
one it would have built itself, on any process and on both databases; a check-in, which
touches no counted table, invalidates nothing.

Measured on the `l` demo (bench/api_load.py): a cached page costs about a third of
building it (the page query, its alignments, validating and serializing 50 items).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Response

from steerco.db.engine import engine_key
from steerco.db.generations import counted
from steerco.db.repository import table_generations
from steerco.settings import get_settings

F = TypeVar("F", bound=Callable[..., Any])
#: Larger pages are not kept (a 500-item page of wide rows).
MAX_BODY = 1 << 20

Key = tuple[str, int, str, bytes]


class PageCache:
    """Least-recently-used page bodies with the table generations they were built at."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._pages: OrderedDict[Key, tuple[tuple[int, ...], bytes]] = OrderedDict()

    def get(self, key: Key, generations: tuple[int, ...]) -> bytes | None:
        with self._lock:
            hit = self._pages.get(key)
            if hit is None or hit[0] != generations:
                return None
            self._pages.move_to_end(key)
            return hit[1]

    def put(self, key: Key, generations: tuple[int, ...], body: bytes) -> None:
        if self.capacity <= 0 or len(body) > MAX_BODY:
            return
        with self._lock:
            self._pages[key] = (generations, body)
            self._pages.move_to_end(key)
            while len(self._pages) > self.capacity:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


PAGES = PageCache(get_settings().page_cache_entries)


def cached_list(*tables: str) -> Callable[[F], F]:
    """Serve a list route (with `ctx` and `request` parameters) from PAGES while `tables`
    are unchanged in the workspace."""
    uncounted = [t for t in tables if not counted(t)]
    if uncounted:
        raise ValueError(f"writes to {uncounted} are not counted; their lists cannot be cached")

    def decorate(route: F) -> F:
        @functools.wraps(route)
        def cached(*args: Any, **kwargs: Any) -> Any:
            ctx, request = kwargs["ctx"], kwargs["request"]
            if PAGES.capacity <= 0:
                return route(*args, **kwargs)
            with ctx.read() as s:
                db = engine_key(s.get_bind().engine)
                key: Key = (db, ctx.ws, request.scope["path"],
                            request.scope["query_string"])
                generations = table_generations(s, ctx.ws, tables)
            body = PAGES.get(key, generations)
            if body is not None:
                return Response(content=body, media_type="application/json")
            # Built after the generations were read, so the page is at least as new as
            # they say (a write in between only costs a miss next time).
            response = route(*args, **kwargs)
            if isinstance(response, Response) and response.status_code == 200:
                PAGES.put(key, generations, bytes(response.body))
            return response

        return cached  # type: ignore[return-value]

    return decorate
