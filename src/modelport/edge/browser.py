"""The optional browser example: onnxruntime-web vendored into the bundle's ``web/`` folder, beside a page
that runs the bundle's model on its golden vectors and compares with the original model's outputs.

Vendored, never loaded from a CDN: the page must work on a device without internet access, and the
files it runs are then covered by the manifest's hashes (and signature) like every other file.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from modelport.errors import InvalidRequest

__all__ = ["WEB_FOLDER", "add_browser_example", "web_package"]

WEB_FOLDER = "web"
# The CPU (WebAssembly) build only: its loader module and binary, no WebGPU/WebGL variants.
_RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


def web_package(ort_web: Path) -> tuple[Path, str]:
    """The ``dist`` folder and the version of an onnxruntime-web package folder."""
    for root in (ort_web, ort_web / "package", ort_web / "node_modules" / "onnxruntime-web"):
        if all((root / "dist" / name).is_file() for name in _RUNTIME_FILES):
            try:
                version = str(json.loads((root / "package.json").read_text(encoding="utf-8"))["version"])
            except (OSError, ValueError, KeyError):
                version = "unknown"
            return root, version
    raise InvalidRequest(
        f"--web {ort_web}: not an onnxruntime-web package (no dist/{_RUNTIME_FILES[0]}); "
        "`npm pack onnxruntime-web` and extract it, or `npm install onnxruntime-web`"
    )


def add_browser_example(root: Path, ort_web: Path) -> tuple[list[str], str]:
    """Write ``web/`` into the bundle at ``root``; the files written (bundle-relative) and the runtime version."""
    package, version = web_package(ort_web)
    web = root / WEB_FOLDER
    web.mkdir()
    written = []
    for name in _RUNTIME_FILES:
        shutil.copyfile(package / "dist" / name, web / name)
        written.append(name)
    if (package / "LICENSE").is_file():  # MIT: the notice travels with the copy
        shutil.copyfile(package / "LICENSE", web / "LICENSE-onnxruntime-web")
        written.append("LICENSE-onnxruntime-web")
    page = resources.files("modelport.edge").joinpath("browser.html").read_text(encoding="utf-8")
    (web / "index.html").write_text(page, encoding="utf-8")
    written.append("index.html")
    return [f"{WEB_FOLDER}/{name}" for name in written], version
