"""Running ``modelport serve`` detached, for ``modelport demo --background`` (what ``make demo`` uses).

The server is a normal ``modelport serve`` process in its own session, logging to a file under the
home; its pid is kept beside the log so ``modelport demo --stop`` can end it gracefully (SIGTERM).
The pid file's place is also noted in the user's cache folder (``$XDG_CACHE_HOME/modelport``), so
``demo --stop`` finds the server from any directory, whatever home that directory would default to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from modelport.errors import NotReady
from modelport.settings import Settings

__all__ = ["BackgroundServer", "start_background", "stop_background"]

_READY_TIMEOUT_S = 90.0
_ANNOUNCEMENT = "modelport serving on "


@dataclass(frozen=True, slots=True)
class BackgroundServer:
    pid: int
    url: str
    log: Path


def _files(settings: Settings) -> tuple[Path, Path]:
    home = settings.resolved_home
    return home / "demo-server.pid", home / "demo-server.log"


def _pointer() -> Path:
    """Where the pid file of the last background demo server is noted, for this user."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "modelport" / "demo-server"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_background(settings: Settings, timeout_s: float = 30.0) -> int | None:
    """Stop the background server if one runs; returns its pid, or None when there was none."""
    pid_file, _ = _files(settings)
    pointer = _pointer()
    if not pid_file.is_file() and pointer.is_file():  # started from another directory (another home)
        pid_file = Path(pointer.read_text().strip())
    if pointer.is_file() and Path(pointer.read_text().strip()) == pid_file:
        pointer.unlink()
    if not pid_file.is_file():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    pid_file.unlink()
    if pid <= 0 or not _alive(pid):
        return None
    os.killpg(pid, signal.SIGTERM)  # the whole session: the server and its workers
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pid


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _announced_url(log_path: Path) -> str | None:
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith(_ANNOUNCEMENT):
            return line.removeprefix(_ANNOUNCEMENT).split()[0]
    return None


def start_background(settings: Settings, default_deployment: str) -> BackgroundServer:
    """(Re)start ``modelport serve`` detached and wait until it answers ``/readyz``."""
    stop_background(settings)
    pid_file, log_path = _files(settings)
    serving = settings.serving
    argv = [
        sys.executable, "-m", "modelport", "--home", str(settings.resolved_home), "serve",
        "--host", serving.host, "--port", str(serving.port), "--default", default_deployment,
    ]  # fmt: skip
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    pid_file.write_text(str(proc.pid))
    pointer = _pointer()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(pid_file.resolve()))
    # With port 0 the kernel picks the port; the server's first line names the bound URL.
    url: str | None = f"http://{serving.host}:{serving.port}" if serving.port else None
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pid_file.unlink(missing_ok=True)
            tail = log_path.read_text().strip().splitlines()[-1:] or ["(no output)"]
            raise NotReady(f"the demo server exited with code {proc.returncode}: {tail[0]} (log: {log_path})")
        url = url or _announced_url(log_path)
        if url is not None and _ready(url):
            return BackgroundServer(pid=proc.pid, url=url, log=log_path)
        time.sleep(0.25)
    stop_background(settings)
    raise NotReady(f"the demo server did not become ready within {_READY_TIMEOUT_S:.0f} s (log: {log_path})")
