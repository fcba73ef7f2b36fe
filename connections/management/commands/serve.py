"""Run the web server and the task worker together; Ctrl-C stops both."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

# How long the children get to stop cleanly before they are killed.
STOP_TIMEOUT_SECONDS = 15


def start(args: list[str]) -> subprocess.Popen:
    # A session of its own: the terminal's Ctrl-C reaches only this command, which then signals
    # each child exactly once (django-q2 can hang when SIGINT arrives twice in quick
    # succession), and a child that will not stop is killed with everything it started.
    return subprocess.Popen([sys.executable, "manage.py", *args], start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        # Also ends what the child started (qcluster's workers) if it left them behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Command(BaseCommand):
    help = "Serve the web pages and API, and run the django-q2 worker, until interrupted."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        # SIGTERM (a process manager, `kill`) and SIGHUP (the terminal closed) stop everything
        # the same way Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.default_int_handler)
        processes = [start(["qcluster"]), start(["runserver", f"{host}:{port}", "--noreload"])]
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop(processes)
