"""`crawl` at a terminal draws the shared progress line, never wider than the terminal
(a real pseudo-terminal, the demo world on loopback)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.demo import DemoWorld, run_demo_in_thread

from .support.nightly import _write_config


def _at_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with its stderr on a 60-column pseudo-terminal: (exit code, what it drew)."""
    master, slave = pty.openpty()
    env = dict(os.environ, COLUMNS="60")
    process = subprocess.Popen(
        [sys.executable, "-m", "localoffer_audit.cli", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env,
    )
    os.close(slave)
    drawn = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            drawn += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=300)
    os.close(master)
    return process.returncode, drawn.decode("utf-8", "replace")


@pytest.mark.slow
def test_crawl_at_a_terminal_shows_its_progress_within_the_width(tmp_path: Path) -> None:
    world = DemoWorld(seed=4, services=40)
    with run_demo_in_thread(world, workdir=tmp_path / "demo-web") as demo:
        config = config_from_dict(demo.config_dict(tmp_path))
        path = _write_config(config, tmp_path / "localoffer-audit.toml")
        returncode, text = _at_a_terminal(["--config", str(path), "crawl"])
    assert returncode == 0, text[-2000:]
    pieces = [piece for line in text.replace("\r\n", "\n").split("\n") for piece in line.split("\r")]
    crawl = [piece for piece in pieces if piece.startswith("crawl: ") and "pages" in piece]
    assert crawl, text[-3000:]
    assert all(len(piece) <= 59 for piece in crawl), max(crawl, key=len)
    assert re.search(r"crawl: \d+ pages, \d+ services, \d+ errors, [\d.]+ pages/s", crawl[-1])
    # The line is ended when the crawl is, so the shell prompt starts on a line of its own.
    assert text.replace("\r\n", "\n").endswith("\n"), repr(text[-200:])


@pytest.mark.slow
def test_nightly_at_a_terminal_shows_the_crawls_progress_line(tmp_path: Path) -> None:
    # `nightly` draws the crawl's own line (pages, services, rate) while it crawls, as
    # `crawl` does, not only "crawl..." (the crawl and link-check stages share one stderr).
    world = DemoWorld(seed=4, services=40)
    with run_demo_in_thread(world, workdir=tmp_path / "demo-web") as demo:
        config = config_from_dict(demo.config_dict(tmp_path))
        path = _write_config(config, tmp_path / "localoffer-audit.toml")
        returncode, text = _at_a_terminal(["--config", str(path), "nightly", "--no-send",
                                           "--today", demo.manifest()["world"]["day0_date"]])
    text = text.replace("\r\n", "\n")
    # 0 done, or 3 new serious findings (the demo world has some): both a complete night.
    assert returncode in (0, 3), text[-2000:]
    pieces = [piece for line in text.split("\n") for piece in line.split("\r")]
    crawl = [piece for piece in pieces if re.match(r"crawl: \d+ pages, \d+ services, \d+ errors, [\d.]+ pages/s", piece)]
    assert crawl, text[-3000:]
    assert all(len(piece) <= 59 for piece in crawl), max(crawl, key=len)
    # The crawl's line is ended before the stage's result is printed on a line of its own.
    assert re.search(r"\ncrawl: complete in [\d.]+s", text), text[-3000:]
