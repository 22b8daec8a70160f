"""Servers the reliability tests start as processes of their own (gunicorn, scripts/serve).

Each runs in a process group of its own, its output in a log file; it is up when a page
answers, and stopping it stops everything it started (scripts/serve starts gunicorn and
task workers beside itself). No port is guessed: `free_port` asks the system for one.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.services import free_port

__all__ = ["ROOT", "Server", "free_port"]

ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 30.0  # seconds for a graceful stop before the group is killed


class ServerStopped(AssertionError):
    """The server's process ended while it was expected to serve; the message holds its log."""


class Server:
    """One command in its own process group, its output in `log`, serving at `url`."""

    def __init__(self, name: str, command: list[str], *, url: str, env: dict[str, str], log: Path, cwd: Path = ROOT) -> None:
        self.name, self.url, self.log = name, url, log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def log_tail(self, chars: int = 4000) -> str:
        self._log_file.flush()
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}), last {chars} characters ---\n{text[-chars:]}"

    def wait_until_up(self, path: str, timeout: float) -> float:
        """Poll `path` until it answers below 500; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise ServerStopped(f"{self.name} stopped while starting (exit {self.process.returncode}).\n{self.log_tail()}")
            try:
                if requests.get(self.url + path, timeout=5, allow_redirects=False).status_code < 500:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise ServerStopped(f"{self.name} did not answer {path} within {timeout:.0f} s.\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the whole group, wait for it to end, then SIGKILL whatever is left."""
        group = self.process.pid  # start_new_session: the group's id is the leader's pid
        _signal_group(group, signal.SIGTERM)
        ends = time.monotonic() + STOP_TIMEOUT
        while _alive(group) and time.monotonic() < ends:
            self.process.poll()  # reap the leader once it exits
            time.sleep(0.1)
        if _alive(group):
            _signal_group(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)
        self._log_file.close()


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _alive(group: int) -> bool:
    """Whether a process of `group` still runs (zombies, already ended, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue
        if int(pgrp) == group and state != "Z":
            return True
    return False
