"""The stop's watchdog (shared/runtime/service_app.py): a stop that outlasts its bound ends the
process (exit status 3); one that finishes in time cancels it; in-process apps get none."""

import subprocess
import sys

from shared.runtime.service_app import exit_if_not_stopped_within
from tests.support.service_process import ROOT

STUCK = """
import threading
from shared.runtime.service_app import exit_if_not_stopped_within
exit_if_not_stopped_within({seconds}, "test")
threading.Event().wait({stuck})  # a stop stuck on a frozen Kafka, say
"""
IN_TIME = """
import time
from shared.runtime.service_app import exit_if_not_stopped_within
watchdog = exit_if_not_stopped_within(0.5, "test")
watchdog.cancel()
time.sleep(1.0)
print("stopped cleanly")
"""


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_a_stuck_stop_ends_the_process_after_its_bound() -> None:
    done = run(STUCK.format(seconds=0.3, stuck=60))
    assert done.returncode == 3, done.stderr
    assert "stop did not finish in time" in done.stdout + done.stderr


def test_a_stop_in_time_cancels_the_watchdog() -> None:
    done = run(IN_TIME)
    assert (done.returncode, done.stdout.strip()) == (0, "stopped cleanly"), done.stderr


def test_an_app_run_in_process_has_no_watchdog() -> None:
    assert exit_if_not_stopped_within(None, "test") is None
