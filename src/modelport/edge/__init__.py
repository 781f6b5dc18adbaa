"""Edge export: a registered version as a self-contained, verifiable ONNX bundle with a parity report.

:func:`export_bundle` writes the bundle (model, manifest with hashes, golden vectors, parity report,
the ``predict.py`` runner); :func:`verify_bundle` checks one; :func:`record_export` writes the
``export`` history entry. The runner (``runner.py``, shipped as ``predict.py``) needs only
onnxruntime and numpy.
"""

from modelport.edge.bundle import ExportRequest, ExportResult, export_bundle
from modelport.edge.manifest import Manifest, ModelFormat, Quantization, Tolerances
from modelport.edge.parity import ParityFigures
from modelport.edge.record import record_export
from modelport.edge.signing import generate_keypair
from modelport.edge.verify import Verification, verify_bundle

__all__ = [
    "ExportRequest",
    "ExportResult",
    "Manifest",
    "ModelFormat",
    "ParityFigures",
    "Quantization",
    "Tolerances",
    "Verification",
    "export_bundle",
    "generate_keypair",
    "record_export",
    "verify_bundle",
]
