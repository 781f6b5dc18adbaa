"""``modelport edge export|verify|keygen``: a version as a verifiable ONNX bundle for devices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelport.cli.context import actor_from, registry_from, store_from
from modelport.cli.helpformat import Typer
from modelport.cli.output import console, json_flag, print_json
from modelport.edge import (
    ExportRequest,
    ModelFormat,
    Quantization,
    export_bundle,
    generate_keypair,
    record_export,
    verify_bundle,
)

__all__ = ["app"]

app = Typer(
    help="Export a version as a self-contained ONNX bundle; verify bundles.\n\n"
    "Example: modelport edge export credit_risk --out bundle",
    no_args_is_help=True,
)


@app.command()
def export(
    ctx: typer.Context,
    model_ref: Annotated[str, typer.Argument(help="NAME@alias, NAME/version, NAME (= @production) or a model folder.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the bundle to (new or empty).")],
    quantize: Annotated[Quantization, typer.Option(help="Weights: none, int8 or fp16.")] = Quantization.NONE,
    model_format: Annotated[ModelFormat, typer.Option("--format", help="onnx, or ort (ONNX Runtime Mobile).")] = (
        ModelFormat.ONNX
    ),
    calibrate: Annotated[
        bool, typer.Option(help="int8: static quantization calibrated on the version's sample (default dynamic).")
    ] = False,
    sign: Annotated[Path | None, typer.Option("--sign", help="Ed25519 private key (PEM) to sign the manifest.")] = None,
    force: Annotated[bool, typer.Option(help="Write the bundle even if it misses its parity tolerances.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty --out folder.")] = False,
    web: Annotated[
        Path | None,
        typer.Option(help="An onnxruntime-web package folder: add web/, a page that reruns the golden vectors."),
    ] = None,
    json_output: Annotated[
        bool, json_flag("a JSON object (bundle, manifest, parity, history_id: null for an unregistered folder)")
    ] = False,
) -> None:
    """Write MODEL_REF as an edge bundle: model, manifest, golden vectors, parity report, predict.py.

    Example: modelport edge export credit_risk@production --out bundle --quantize int8
    """
    folder = Path(model_ref).expanduser()
    registry = None
    if (folder / "MLmodel").is_file():
        model_dir = folder.resolve()
        name, version, alias, source = model_dir.name, 0, None, str(model_dir)
    else:
        registry = registry_from(ctx)
        ref, model_dir = registry.local_version(model_ref)
        name, version, alias = ref.name, ref.version, ref.alias
        source = registry.describe(name, version).source or registry.model_uri(name, version)
    request = ExportRequest(
        model_dir,
        out,
        name,
        version,
        alias=alias,
        source=source,
        quantization=quantize,
        model_format=model_format,
        calibrate=calibrate,
        force=force,
        sign_key=sign,
        overwrite=overwrite,
        web=web,
    )
    result = export_bundle(request)
    entry = None
    if registry is not None:  # a model folder that was never registered has no history to write to
        entry = record_export(store_from(ctx), result, actor=actor_from(ctx))
    if json_output:
        print_json(
            {
                "bundle": str(result.out),
                "manifest": result.manifest.to_dict(),
                "parity": result.parity.to_dict(),
                "history_id": None if entry is None else entry.id,
            }
        )
        return
    verdict = "passed" if result.parity.passed else "FAILED (written with --force)"
    console.print(
        f"exported {request.name}/{request.version} -> {result.out} ({result.manifest.model_file}, "
        f"{quantize.value}); parity {verdict}: {result.parity.summary()}",
        markup=False,
    )


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle folder.")],
    trust: Annotated[
        Path | None, typer.Option("--trust", help="Ed25519 public key (PEM): require a valid signature by it.")
    ] = None,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON object (bundle, model, version, quantization, model_format, golden_rows, figures, "
            "signed_by, passed)"
        ),
    ] = False,
) -> None:
    """Recompute every hash, load the model with onnxruntime and rerun the golden vectors (exit 0 or 2).

    Example: modelport edge verify bundle --trust device.pub
    """
    verification = verify_bundle(bundle, trust=trust)
    if json_output:
        print_json(verification.to_dict())
        return
    signed = f", signed by {verification.signed_by}" if verification.signed_by else ""
    console.print(
        f"{bundle}: ok ({verification.manifest['model']['name']}/{verification.manifest['model']['version']}, "
        f"{len(verification.manifest['files'])} files hashed, {verification.rows} golden rows reproduced{signed})",
        markup=False,
    )


@app.command()
def keygen(
    private_key: Annotated[Path, typer.Argument(help="Where to write the private key (PEM, mode 600).")],
    public_key: Annotated[Path, typer.Argument(help="Where to write the public key (PEM) for devices.")],
) -> None:
    """Create an Ed25519 key pair for `edge export --sign` and `edge verify --trust`.

    Example: modelport edge keygen signing.pem device.pub
    """
    generate_keypair(private_key, public_key)
    console.print(f"wrote {private_key} (keep it secret) and {public_key} (give it to devices)", markup=False)
