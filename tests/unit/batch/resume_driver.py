"""Run a batch job in its own process, slowly, so that a test can SIGKILL it halfway.

Usage (from the repository root): python -m tests.unit.batch.resume_driver INPUT OUTPUT DELAY_SECONDS
"""

from __future__ import annotations

import sys
from pathlib import Path

from modelport.batch import BatchJob, ModelInfo, score_locally
from tests.unit.batch.sklearn_scorer import SklearnScorer, train_model


def main() -> None:
    source, target, delay = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
    job = BatchJob(input=source, output=target, id_column="id", batch_size=100, workers=2)
    score_locally(job, SklearnScorer(train_model(), delay=delay), ModelInfo("demo", 1, "models:/demo/1", "native"))


if __name__ == "__main__":
    main()
