"""Facts about Istio's ambient data plane that checks reason with (Istio 1.30.3).

The Ztunnel dashboard (grafana.com 21306; istio/istio
`manifests/addons/dashboards/ztunnel-dashboard.gen.json`) reads ztunnel's own series by
`app="ztunnel"` and `pod=~"ztunnel-.*"`; `tests/test_ambient_knowledge.py` checks these
facts against the real file in ../shared/upstream.
"""

from __future__ import annotations

ZTUNNEL_DASHBOARD_GNET_ID = 21306
ZTUNNEL_DASHBOARD_UID = "12c58766acc81a1c835dd5059eaf2741"
#: Where Istio keeps the dashboard in its source (reference 5: `manifests/addons/dashboards/`).
ZTUNNEL_DASHBOARD_FILE = "manifests/addons/dashboards/ztunnel-dashboard.gen.json"
ZTUNNEL_DASHBOARD_TITLE = "Istio Ztunnel Dashboard"
#: The labels the Ztunnel dashboard selects ztunnel's series by (a scrape job must set them).
ZTUNNEL_DASHBOARD_LABELS = frozenset({"app", "pod"})

#: ztunnel's L4 metric families (it emits no HTTP metrics; reference stacks 2).
TCP_METRIC_PREFIX = "istio_tcp_"
#: Istio's standard metric families, which the reporter question applies to.
STANDARD_METRIC_PREFIXES = ("istio_requests_", "istio_request_", "istio_response_", "istio_tcp_")


def ztunnel_dashboard_url(istio_version: str) -> str:
    """The Ztunnel dashboard of one Istio release, pinned by its tag in istio/istio.

    grafana.com's revisions of 21306 are not known per Istio release; the file in the
    release's own source is the same dashboard (grafana.com's copy only adds `__inputs`).
    """
    return f"https://raw.githubusercontent.com/istio/istio/{istio_version}/{ZTUNNEL_DASHBOARD_FILE}"
