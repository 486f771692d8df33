"""One child process of the launcher: started in its own session with its output in a log file,
signalled, and waited on until it answers its health check."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .net import HOST, http_status
from .processes import PlatformError


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen | None = None
    port: int | None = None
    started_at: float = 0.0
    restarts: int = 0

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def start(self, cwd: Path, env: Mapping[str, str]) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(self.argv)}\n".encode())
            log.flush()
            # own session: Ctrl-C in the terminal reaches only the launcher, which stops children
            self.popen = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_at = time.monotonic()

    def signal(self, sig: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def signal_group(self, sig: int) -> None:
        # each child leads its own process group (start_new_session), so its pid is the group id
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def wait_healthy(self, path: str, timeout: float) -> None:
        url = f"http://{HOST}:{self.port}{path}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise PlatformError(
                    f"{self.name} exited (code {self.returncode}) before answering "
                    f"{url}; log {self.log_path}:\n{tail(self.log_path)}"
                )
            if http_status(url, timeout=2) == 200:
                return
            time.sleep(0.2)
        raise PlatformError(
            f"{self.name} did not answer {url} within {timeout:.0f}s; log {self.log_path}:\n{tail(self.log_path)}"
        )
