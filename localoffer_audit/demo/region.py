"""A region: several councils' demo worlds linking into one outside web.

Councils in one region link the same NHS trusts, charities, clubs and council pages.
Every ``DemoWorld`` draws its big organisations from the same list (vocab.BIG_ORGS) and
its pages from the same path pools, so worlds built from different seeds already link
many of the same URLs; what they do not share is a web to serve them on. ``SharedWeb``
is that web: every world's sites on one outside server (demo/server.py
``serve_region``), one hosts file, one CA.

The web has one truth per URL: where two worlds drew the same site or page with
different behaviours, the first world in the list says what it does (its host's
latency and behaviour, its page's status). Each council then sees that one web, in
single-council mode and in the national run alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from localoffer_audit.demo.world import DayState, DemoWorld, HostSpec, Org, Plant


class SharedWeb:
    """The outside web of several worlds (read by demo/outside.py like one world)."""

    def __init__(self, worlds: Sequence[DemoWorld]) -> None:
        if not worlds:
            raise ValueError("a region needs at least one world")
        self.worlds = list(worlds)
        self.hosts: dict[str, HostSpec] = {}
        for world in reversed(self.worlds):  # the first world's spec is written last: it wins
            self.hosts.update(world.hosts)
        self._merged_for: tuple[int, ...] = ()
        self._state: DayState | None = None

    @property
    def day(self) -> int:
        return self.worlds[0].day

    @property
    def state(self) -> DayState:
        """Today's merged state, rebuilt when any world switches night (set_day)."""
        key = tuple(id(world.state) for world in self.worlds)
        if self._state is None or key != self._merged_for:
            first = self.worlds[0].state
            paths: dict[tuple[str, str], str] = {}
            urls = {}
            for world in reversed(self.worlds):
                paths.update(world.state.paths)
                urls.update(world.state.urls)
            # Transient answers (a 503 before the page) are counted per URL on this web.
            self._state = DayState(first.day, first.today, [], [], urls, paths)
            self._merged_for = key
        return self._state

    def org_by_host(self, host: str) -> Org | None:
        for world in self.worlds:
            org = world.org_by_host(host)
            if org is not None:
                return org
        return None

    def plant_on(self, host: str, day: int) -> Plant | None:
        for world in self.worlds:
            if host in world.hosts:
                return world.plant_on(host, day)
        return None

    def host_names(self) -> list[str]:
        return sorted(self.hosts)

    def reset_transients(self) -> None:
        """Serve the night's transient failures (503, 429 before the page) again, as a
        fresh night would: a second run over the same web then meets the same answers."""
        self.state.transient_hits.clear()
