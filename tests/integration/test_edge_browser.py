"""The bundle's browser example: onnxruntime-web vendored from npm, the page opened in headless Chromium,
the golden vectors reproduced in the browser for a linear and a tree-ensemble version."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_runner import Cli

ORT_WEB = "onnxruntime-web@1.30.0"
CHROMIUM = "/usr/bin/chromium"  # the distribution's build (apt-get install chromium), never a downloaded one


@pytest.fixture(scope="session")
def ort_web(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The onnxruntime-web package from the npm registry, unpacked: what `--web` vendors into a bundle."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is required to fetch onnxruntime-web (apt-get install npm)")
    root = tmp_path_factory.mktemp("ort-web")
    packed = subprocess.run(
        [npm, "pack", ORT_WEB, "--silent"], cwd=root, capture_output=True, text=True, timeout=600, check=True
    )
    with tarfile.open(root / packed.stdout.strip().splitlines()[-1]) as archive:
        archive.extractall(root, filter="data")
    return root / "package"


class _Static(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - the base class declares it a plain dict
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",  # onnxruntime-web imports its loader as a module
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve_folder() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def serve(folder: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Static, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _run_page(url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is required at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("document.title !== 'running'", timeout=120_000)
            result: dict[str, Any] = page.evaluate("window.modelportResult")
            result["title"] = page.title()
            return result
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["credit_risk@production", "credit_risk/2"])
def test_the_browser_example_reproduces_the_golden_vectors(
    demo_home: Path, tmp_path: Path, ort_web: Path, serve_folder: Any, ref: str
) -> None:
    cli = Cli(demo_home)
    out = tmp_path / "bundle"
    exported = cli.json("edge", "export", ref, "--out", str(out), "--web", str(ort_web))
    assert exported["manifest"]["onnxruntime_web"] == ORT_WEB.split("@")[1]
    assert "web/ort-wasm-simd-threaded.wasm" in exported["manifest"]["files"]  # hashed like every other file
    cli("edge", "verify", str(out))

    result = _run_page(serve_folder(out) + "/web/index.html")

    assert result["title"] == "passed", result
    assert result["rows"] == 500
    assert result["label_agreement"] == 1
    assert result["probabilities"]["max_abs_diff"] <= 1e-4


def test_a_folder_that_is_not_onnxruntime_web_is_one_line(demo_home: Path, tmp_path: Path) -> None:
    cli = Cli(demo_home)
    failed = cli("edge", "export", "credit_risk/1", "--out", str(tmp_path / "b"), "--web", str(tmp_path), expect=2)

    assert failed.stderr.startswith(f"error[invalid_request]: --web {tmp_path}: not an onnxruntime-web package")
    assert len(failed.stderr.splitlines()) == 1
    assert not (tmp_path / "b").exists()
