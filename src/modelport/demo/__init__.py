"""The demo: a credit-risk model in two versions, registered and promoted on the embedded default."""

from modelport.demo.dataset import FEATURES, TARGET, make_credit_data
from modelport.demo.workflow import DEMO_MODEL, DemoResult, run_demo

__all__ = ["DEMO_MODEL", "FEATURES", "TARGET", "DemoResult", "make_credit_data", "run_demo"]
