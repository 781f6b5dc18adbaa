"""The demo's registry part: train two credit-risk models, register them, promote version 1.

Run twice, it finds what the first run made (the versions it tagged) and reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelport.demo.dataset import FEATURES, TARGET, make_credit_data
from modelport.registry import Registry, read_sample

__all__ = ["DEMO_MODEL", "DemoResult", "run_demo"]

DEMO_MODEL = "credit_risk"
_DEMO_TAG = "demo"


@dataclass(frozen=True, slots=True)
class DemoResult:
    model: str
    versions: dict[str, int]  # kind ("logistic", "gradient_boosting") -> version
    production: int
    reused: bool
    data_dir: Path
    accuracy: dict[str, float]


def _existing(registry: Registry) -> dict[str, int]:
    if DEMO_MODEL not in {m.name for m in registry.list_models()}:
        return {}
    return {v.tags[_DEMO_TAG]: v.version for v in registry.versions(DEMO_MODEL) if _DEMO_TAG in v.tags}


def _train(data_dir: Path) -> tuple[dict[str, Path], dict[str, float]]:
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = make_credit_data()
    train, test = frame.iloc[:16_000], frame.iloc[16_000:]
    train.to_csv(data_dir / "credit_train.csv", index=False)
    test.drop(columns=[TARGET]).to_csv(data_dir / "credit_to_score.csv", index=False)
    candidates = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "gradient_boosting": HistGradientBoostingClassifier(max_iter=100, random_state=0),
    }
    paths, accuracy = {}, {}
    for kind, model in candidates.items():
        model.fit(train[list(FEATURES)], train[TARGET])
        accuracy[kind] = float(model.score(test[list(FEATURES)], test[TARGET]))
        paths[kind] = data_dir / f"credit_{kind}.skops"
        sio.dump(model, paths[kind])
    return paths, accuracy


def run_demo(registry: Registry, data_dir: Path, *, actor: str) -> DemoResult:
    """Make sure the demo model has its two versions and that production points at one of them (as ``actor``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    versions = _existing(registry)
    reused = len(versions) == 2
    accuracy: dict[str, float] = {}
    if not reused:
        paths, accuracy = _train(data_dir)
        sample = read_sample(data_dir / "credit_train.csv", 1000)
        for kind in ("logistic", "gradient_boosting"):
            if kind in versions:
                continue
            info = registry.register(
                str(paths[kind]),
                DEMO_MODEL,
                actor=actor,
                sample=sample,
                description=f"demo {kind.replace('_', ' ')} classifier (accuracy {accuracy[kind]:.3f})",
                tags={_DEMO_TAG: kind, "accuracy": f"{accuracy[kind]:.4f}"},
            )
            versions[kind] = info.version
    aliases = {m.name: m.aliases for m in registry.list_models()}[DEMO_MODEL]
    if "production" not in aliases:
        registry.promote(DEMO_MODEL, versions["logistic"], actor=actor, reason="demo: first production model")
        aliases["production"] = versions["logistic"]
    return DemoResult(
        model=DEMO_MODEL,
        versions=versions,
        production=aliases["production"],
        reused=reused,
        data_dir=data_dir,
        accuracy=accuracy,
    )
