"""verify_bundle: a changed byte anywhere, a missing or added file, a bad signature: one BundleInvalid."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from modelport.edge import generate_keypair, verify_bundle
from modelport.edge.runner import Runner
from modelport.errors import BundleInvalid, InvalidRequest
from tests.unit.edge.conftest import Export


@pytest.fixture
def bundle(pristine: Callable[[str], Path]) -> Path:
    return pristine("logistic")


@pytest.fixture
def copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle, target)
    return target


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_intact_bundle_verifies(bundle: Path) -> None:
    verification = verify_bundle(bundle)

    assert verification.rows > 0
    assert verification.figures["label_agreement"] == 1.0
    assert verification.to_dict()["version"] == 3
    assert verification.signed_by is None


@pytest.mark.parametrize("name", ["model.onnx", "golden.json", "parity.json", "parity.md", "predict.py"])
def test_one_changed_byte_in_any_file_is_caught(copy: Path, name: str) -> None:
    _flip_one_byte(copy / name)

    with pytest.raises(BundleInvalid, match=re.escape(f"{name}: sha256 differs")):
        verify_bundle(copy)


def test_a_changed_manifest_is_caught(copy: Path) -> None:
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["tolerances"]["min_label_agreement"] = 0.0
    (copy / "manifest.json").write_text(json.dumps(manifest))
    _flip_one_byte(copy / "model.onnx")

    with pytest.raises(BundleInvalid, match=re.escape("model.onnx: sha256")):
        verify_bundle(copy)


def test_a_missing_file_is_caught(copy: Path) -> None:
    (copy / "golden.json").unlink()
    with pytest.raises(BundleInvalid, match=re.escape("golden.json: listed in the manifest but missing")):
        verify_bundle(copy)


def test_an_added_file_is_caught(copy: Path) -> None:
    (copy / "extra.py").write_text("print('not from the exporter')\n")
    with pytest.raises(BundleInvalid, match=re.escape("extra.py: a file the manifest does not list")):
        verify_bundle(copy)


def test_a_folder_without_manifest_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleInvalid, match="not an edge bundle"):
        verify_bundle(tmp_path)


def test_a_signed_bundle_verifies_with_its_key_and_only_with_it(export: Export, tmp_path: Path) -> None:
    generate_keypair(tmp_path / "ours.pem", tmp_path / "ours.pub")
    generate_keypair(tmp_path / "theirs.pem", tmp_path / "theirs.pub")
    assert (tmp_path / "ours.pem").stat().st_mode & 0o777 == 0o600
    result = export("logistic", sign_key=tmp_path / "ours.pem")

    assert verify_bundle(result.out, trust=tmp_path / "ours.pub").signed_by == "ours.pub"
    with pytest.raises(BundleInvalid, match="signature does not verify"):
        verify_bundle(result.out, trust=tmp_path / "theirs.pub")

    manifest = json.loads((result.out / "manifest.json").read_text())
    manifest["model"]["version"] = 99  # a re-labelled bundle: hashes still match, the signature does not
    (result.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    with pytest.raises(BundleInvalid, match="signature does not verify"):
        verify_bundle(result.out, trust=tmp_path / "ours.pub")


def test_trust_requires_a_signature(bundle: Path, tmp_path: Path) -> None:
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    with pytest.raises(BundleInvalid, match="not signed"):
        verify_bundle(bundle, trust=tmp_path / "k.pub")


def test_keys_are_never_overwritten_and_bad_keys_are_clear_errors(export: Export, tmp_path: Path) -> None:
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    with pytest.raises(InvalidRequest, match="refusing to overwrite"):
        generate_keypair(tmp_path / "k.pem", tmp_path / "other.pub")
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(InvalidRequest, match="not an unencrypted PEM private key"):
        export("logistic", sign_key=tmp_path / "junk.pem")


def test_golden_vectors_out_of_tolerance_fail_verification(copy: Path) -> None:
    golden = json.loads((copy / "golden.json").read_text())
    golden["expected"]["predictions"] = [1 - p for p in golden["expected"]["predictions"]]
    (copy / "golden.json").write_text(json.dumps(golden))
    manifest = json.loads((copy / "manifest.json").read_text())
    from modelport.edge.runner import file_digests

    manifest["files"]["golden.json"]["sha256"] = file_digests(copy, ["golden.json"])["golden.json"]
    (copy / "manifest.json").write_text(json.dumps(manifest))

    assert not Runner(copy).self_test().passed
    with pytest.raises(BundleInvalid, match="golden vectors out of tolerance: label agreement"):
        verify_bundle(copy)
