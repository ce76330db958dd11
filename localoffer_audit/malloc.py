"""Memory given back to the system when it is freed (glibc's allocator; elsewhere nothing).

glibc serves a block of 128 KiB or more with a mapping of its own, returned to the
system when freed, but raises that threshold to the size of any such block freed (its
"dynamic mmap threshold"). The link checker frees large buffers all night: every TLS
connection's 256 KiB read buffer (asyncio's sslproto), bodies, parsed pages. After the
first, they came from the heap, between small objects that stay, and the memory stayed
resident once freed. bench_demo.py --nightly at 1,500 services: the night's process
peaked at 187 MB on glibc's default, 139 MB with the threshold held (and the same
verdicts); a process allocating 400 such buffers keeps 100 MB after freeing them on the
default, none with it (tests/test_malloc.py).
"""

from __future__ import annotations

import ctypes
import os

# mallopt's parameter number for the threshold (glibc malloc.h), and its own default.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024


def hold_mmap_threshold() -> bool:
    """Keep glibc's mmap threshold at its default for this process (setting it switches
    the dynamic raising off). True if it was set; False where there is no glibc, or
    where whoever started the process chose the allocator's settings themselves."""
    if _tuned_by_the_environment():
        return False
    try:
        # The process's own symbols, which on Linux include the C library's.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no mallopt (macOS, Windows): nothing to do
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def _tuned_by_the_environment() -> bool:
    """An operator's own allocator settings (glibc's MALLOC_* variables or tunables, or
    another allocator preloaded) are theirs to keep."""
    return any(name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "LD_PRELOAD") for name in os.environ)
