"""Debian's chromium, headless, for the tests that render pages."""

import shutil
import subprocess
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1400,1000",
]  # fmt: skip


def chromium(*arguments: str, profile: Path) -> str:
    binary = shutil.which("chromium")
    assert binary, "chromium missing: .ci/run installs Debian's chromium package"
    done = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
