"""Politeness primitives for the link checker: per-host gates and shared request slots.

``HostGate`` limits one host (at most ``per_host`` requests at once, a delay between
them, a pause when the host asks for one); ``PrioritySlots`` limits all requests of a
run and hands a free slot to the host with the most links left.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import Callable


# How many links the current host worker still has queued: requests for busier hosts
# get a free connection slot first, so the site with the longest queue (which bounds
# the run's length under a per-host limit) is never starved by many small ones.
WORK_LEFT: contextvars.ContextVar[Callable[[], int]] = contextvars.ContextVar("work_left", default=lambda: 0)


class PrioritySlots:
    """A counting semaphore that wakes the waiter with the most work left first."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def __aenter__(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (-WORK_LEFT.get()(), next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # the slot was handed over just as we were cancelled
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


class HostGate:
    """Per-host politeness: at most ``per_host`` requests at once, a delay between
    requests, and a pause when the host asks for one (429 with Retry-After)."""

    def __init__(self, per_host: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(per_host)
        self._delay = delay
        self._next_start = 0.0
        self.pause_until = 0.0

    async def __aenter__(self) -> HostGate:
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        wait = max(self._next_start, self.pause_until) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_start = loop.time() + self._delay
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots.release()
