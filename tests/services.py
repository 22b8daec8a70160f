"""Throwaway PostgreSQL and Redis servers for the tests, on 127.0.0.1 and free ports.

Real servers, not fakes: Debian's `postgresql` and `redis-server` packages (scripts/test
installs them as root). Each server lives in a temporary directory and is gone when the
context ends. From the command line, `python -m tests.services -- CMD…` runs CMD with
both up and `TEST_POSTGRES_URL` / `TEST_REDIS_URL` set; with `--as-default`, also as the
dashboard's DATABASE_URL and CACHE_URL (scripts/test runs the suite on PostgreSQL so).
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 60  # seconds


class ServiceUnavailable(RuntimeError):
    """A server could not be started; the message says why in one sentence."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ServiceUnavailable(f"{what} stopped while starting (exit {process.returncode}). {detail}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise ServiceUnavailable(f"{what} did not accept connections within {START_TIMEOUT} s.")


def stop(process: subprocess.Popen, grace: float) -> None:
    """Ask the server to stop; kill it if it has not within `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ServiceUnavailable("PostgreSQL is not installed: run `apt-get install postgresql` (scripts/test does, as root).")


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: as root, run it as the `postgres` system user.
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServiceUnavailable("Running as root without `runuser`: PostgreSQL cannot be started as root.")
    return [runuser, "-u", "postgres", "--", *command]


@contextlib.contextmanager
def postgres_server(kept_in: Path | None = None) -> Iterator[str]:
    """A PostgreSQL cluster; yields its URL (database `prism`, user `prism`, no password).

    A fresh one in a temporary directory, gone when the context ends; or, with `kept_in`,
    the cluster kept in that directory: made there the first time, started again with its
    data on later calls, and left in place (the benchmarks keep their seeded data so).
    """
    bindir = postgres_bin()
    root = kept_in.resolve() if kept_in else Path(tempfile.mkdtemp(prefix="prism-pg-"))  # postgres runs in its data directory
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, log, port = root / "data", root / "postgres.log", free_port()
    try:
        if not (data / "PG_VERSION").exists():
            init = subprocess.run(
                _as_postgres_user(
                    [str(bindir / "initdb"), "-D", str(data), "-U", "prism", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
                ),
                capture_output=True,
                text=True,
                timeout=120,
            )
            if init.returncode != 0:
                raise ServiceUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        options = [
            "-p", str(port), "-k", str(root), "-c", "listen_addresses=127.0.0.1",
            # A throwaway cluster: durability is not wanted, speed is.
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300",
        ]  # fmt: skip
        with log.open("w") as out:
            process = subprocess.Popen(_as_postgres_user([str(bindir / "postgres"), "-D", str(data), *options]), stdout=out, stderr=out)
        try:
            wait_for_port(port, process, "PostgreSQL", log)
            createdb = [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "prism", "prism"]
            created = subprocess.run(createdb, capture_output=True, text=True)
            deadline = time.monotonic() + START_TIMEOUT
            # A kept cluster stopped uncleanly replays its log first, refusing connections meanwhile.
            while "starting up" in created.stderr and time.monotonic() < deadline:
                time.sleep(0.2)
                created = subprocess.run(createdb, capture_output=True, text=True)
            if created.returncode != 0 and not (kept_in and "already exists" in created.stderr):
                raise ServiceUnavailable(f"createdb failed: {created.stderr.strip()}")
            yield f"postgres://prism@127.0.0.1:{port}/prism"
        finally:
            stop(process, grace=30)
    finally:
        if kept_in is None:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A fresh Redis with nothing saved to disk; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("Redis is not installed: run `apt-get install redis-server` (scripts/test does, as root).")
    root = Path(tempfile.mkdtemp(prefix="prism-redis-"))
    port, log = free_port(), root / "redis.log"
    try:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(root)]
        with log.open("w") as out:
            process = subprocess.Popen(args, stdout=out, stderr=out)
        try:
            wait_for_port(port, process, "Redis", log)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(process, grace=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    options, command = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else ([], argv)
    if not command or set(options) - {"--as-default"}:
        print("usage: python -m tests.services [--as-default] -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    try:
        with postgres_server() as pg_url, redis_server() as redis_url:
            env = {**os.environ, "TEST_POSTGRES_URL": pg_url, "TEST_REDIS_URL": redis_url}
            if "--as-default" in options:  # the dashboard's own database and cache (settings.py reads these)
                env.update(DATABASE_URL=pg_url, CACHE_URL=redis_url)
            return subprocess.run(command, env=env).returncode
    except ServiceUnavailable as exc:
        print(f"Cannot start the test servers: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
