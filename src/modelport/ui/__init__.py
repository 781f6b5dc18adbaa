"""The dashboard's pages without a web framework: what they show (``views``), how it is rendered
(Jinja2 templates and vendored static files shipped in this package), and the traffic sampler
behind the rates and charts. ``serving/ui_api.py`` serves them at ``/ui``.
"""

from modelport.ui.charts import bar_svg, bins_svg, interval_svg
from modelport.ui.pages import STATIC_TYPES, Pages, static_file
from modelport.ui.traffic import OutcomeSnapshot, TrafficPoint, TrafficSampler, VersionTraffic, read_outcomes
from modelport.ui.views import DeploymentPage, DeploymentRow, ModelPage, Share, Views

__all__ = [
    "STATIC_TYPES",
    "DeploymentPage",
    "DeploymentRow",
    "ModelPage",
    "OutcomeSnapshot",
    "Pages",
    "Share",
    "TrafficPoint",
    "TrafficSampler",
    "VersionTraffic",
    "Views",
    "bar_svg",
    "bins_svg",
    "interval_svg",
    "read_outcomes",
    "static_file",
]
