"""Freed large blocks go back to the system (localoffer_audit/malloc.py), in a real process.

glibc raises its mmap threshold to the size of a large block once one is freed, so later
ones come from the heap and stay resident after they are freed (the link checker frees a
256 KiB TLS read buffer for every connection). The process below frees 100 MB of them,
with smaller blocks in between that stay (25 MB); with the threshold held, its resident
memory falls back to those, on glibc's default it does not.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")

BUFFERS = textwrap.dedent("""
    def rss():
        return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
    before = rss()
    freed = bytearray(256 * 1024); del freed  # the first large block freed raises the threshold
    buffers, kept = [], []
    for _ in range(400):
        buffers.append(bytearray(256 * 1024))
        kept.append(bytearray(64 * 1024))  # under the threshold: from the heap, after it
    del buffers
    print(rss() - before)
""")


def _clean_environment() -> dict[str, str]:
    """This environment without allocator settings (the function leaves those alone)."""
    return {name: value for name, value in os.environ.items()
            if not (name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "LD_PRELOAD"))}


def _kept_mb(setup: str, env: dict[str, str] | None = None) -> int:
    done = subprocess.run([sys.executable, "-c", setup + "\n" + BUFFERS], capture_output=True, text=True,
                          check=True, env=env if env is not None else _clean_environment())
    return int(done.stdout.split()[-1])


def test_freed_buffers_stay_resident_on_glibcs_default():
    assert _kept_mb("") >= 90  # what the fix is for; were it not so, the test below would show nothing


def test_the_command_line_gives_freed_buffers_back():
    # Through the CLI's own entry (every command, the nightly's too), not the function alone.
    setup = "from localoffer_audit.cli import main\nmain(['rules'], standalone_mode=False)"
    assert _kept_mb(setup) <= 45


def test_an_operators_own_allocator_settings_are_left_alone():
    setup = "from localoffer_audit.cli import main\nmain(['rules'], standalone_mode=False)"
    # A threshold chosen by whoever runs it (here glibc's largest, so nothing is mapped
    # on its own): kept, so the freed buffers stay, as that setting says they should.
    assert _kept_mb(setup, {**_clean_environment(), "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024)}) >= 90


def test_hold_mmap_threshold_says_whether_it_was_set(monkeypatch):
    from localoffer_audit.malloc import hold_mmap_threshold

    for name in list(os.environ):
        if name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "LD_PRELOAD"):
            monkeypatch.delenv(name)
    assert hold_mmap_threshold() is True
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=262144")
    assert hold_mmap_threshold() is False
