"""Deployment strategies: traffic policies, their revisions, the rollout controller and the reports.

Policies are pure values (``choose(key)``); :class:`Rollouts` changes them in the state store;
:class:`RolloutController` advances canaries from the outcomes every replica reports through
:class:`OutcomeRecorder`; the analysis and statistics are pure functions.
"""

from modelport.deployments.abstats import Comparison, compare_arms
from modelport.deployments.agent import RolloutAgent
from modelport.deployments.analysis import LATENCY_BOUNDS_MS, Decision, VersionStats, analyze_canary
from modelport.deployments.canary import CanaryPolicy, CanaryThresholds
from modelport.deployments.codec import policy_from_json
from modelport.deployments.controller import CONTROLLER_ACTOR, RolloutController
from modelport.deployments.feedback import record_feedback
from modelport.deployments.keys import DEFAULT_KEY_HEADER, KeySource, bucket
from modelport.deployments.policy import ABPolicy, BlueGreenPolicy, Policy, ShadowPolicy, SinglePolicy, Variant
from modelport.deployments.recorder import OutcomeRecorder
from modelport.deployments.reports import ab_report, deployment_history, rollout_status, shadow_report
from modelport.deployments.rollouts import CurrentPolicy, Rollouts
from modelport.deployments.router import PolicyTable, Route, request_key
from modelport.deployments.shadow import RowComparison, ShadowReport, compare_results, summarize_shadow
from modelport.deployments.undo import PolicyUndone, PromotionUndone, Undone, UndoPlan, plan_undo
from modelport.deployments.views import (
    ABReport,
    AliasEvent,
    ArmComparison,
    DecisionEvent,
    HistoryEvent,
    PolicyEvent,
    RolloutStatus,
    ShadowSummary,
    VariantSummary,
)

__all__ = [
    "CONTROLLER_ACTOR",
    "DEFAULT_KEY_HEADER",
    "LATENCY_BOUNDS_MS",
    "ABPolicy",
    "ABReport",
    "AliasEvent",
    "ArmComparison",
    "BlueGreenPolicy",
    "CanaryPolicy",
    "CanaryThresholds",
    "Comparison",
    "CurrentPolicy",
    "Decision",
    "DecisionEvent",
    "HistoryEvent",
    "KeySource",
    "OutcomeRecorder",
    "Policy",
    "PolicyEvent",
    "PolicyTable",
    "PolicyUndone",
    "PromotionUndone",
    "RolloutAgent",
    "RolloutController",
    "RolloutStatus",
    "Rollouts",
    "Route",
    "RowComparison",
    "ShadowPolicy",
    "ShadowReport",
    "ShadowSummary",
    "SinglePolicy",
    "UndoPlan",
    "Undone",
    "Variant",
    "VariantSummary",
    "VersionStats",
    "ab_report",
    "analyze_canary",
    "bucket",
    "compare_arms",
    "compare_results",
    "deployment_history",
    "plan_undo",
    "policy_from_json",
    "record_feedback",
    "request_key",
    "rollout_status",
    "shadow_report",
    "summarize_shadow",
]
