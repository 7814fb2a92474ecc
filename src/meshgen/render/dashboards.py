"""A Grafana dashboard per service, generated from what its telemetry really emits.

The queries read the server side (`reporter="destination"`) of the service's workload, and
only metrics and labels that the effective Telemetry configuration leaves on (see
`meshgen.analysis.effective`): request rate, responses by code and the error ratio, p50/p90/p99
latency, request/response sizes when those metrics are on, and for every label the config
adds (e.g. `model`) a template variable plus a breakdown panel.

Ambient services (`meshgen.analysis.ambient`): with a waypoint, the same panels read the
waypoint's series (`reporter="waypoint"`, the only L7 reporter in ambient) under the
Telemetry attached to that waypoint; without one, only ztunnel reports, so the dashboard
shows its TCP metrics (bytes and connections, `reporter="destination"`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from meshgen.analysis.dashboards import essentials
from meshgen.analysis.effective import MetricState
from meshgen.models import MeshConfig, Service, TelemetrySpec
from meshgen.records import record
from meshgen.render.ambient import WAYPOINT_NAME_LABEL
from meshgen.render.telemetry import resource_namespace
from meshgen.source import KeyPath, Span

REQUESTS = "istio_requests_total"
DURATION = "istio_request_duration_milliseconds_bucket"
REQUEST_BYTES = "istio_request_bytes_bucket"
RESPONSE_BYTES = "istio_response_bytes_bucket"
RATE = "[$__rate_interval]"
PANEL_WIDTH, PANEL_HEIGHT = 12, 8


#: The standard panels of a service dashboard and what each needs: (metric, label or None
#: for the metric itself), in order. One table for the renderer and for G112.
STANDARD_PANELS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "Request rate": (("REQUEST_COUNT", None),),
    "Requests by response code": (("REQUEST_COUNT", None), ("REQUEST_COUNT", "response_code")),
    "Error ratio (5xx)": (("REQUEST_COUNT", None), ("REQUEST_COUNT", "response_code")),
    "Latency": (("REQUEST_DURATION", None),),
    "Request size": (("REQUEST_SIZE", None),),
    "Response size": (("RESPONSE_SIZE", None),),
}


def omissions(state: Mapping[str, MetricState]) -> list[Omission]:
    """The standard panels a server-side metric state leaves out, each with what it lacks."""
    found = []
    for panel, needs in STANDARD_PANELS.items():
        for metric, label in needs:
            metric_state = state.get(metric)
            if metric_state is None or not metric_state.enabled:
                found.append(Omission(panel, metric))
                break
            if label and not metric_state.has_label(label):
                found.append(Omission(panel, metric, label))
                break
    return found


@record(slots=True)
class Omission:
    """A panel left out of a service's dashboard: the metric it needs is off, or a label."""

    panel: str
    metric: str
    #: The label the panel needs and the metric no longer carries; None: the metric is off.
    label: str | None = None


@record
class _Doc:
    """The minimal Telemetry view `meshgen.analysis.effective` needs (no source positions here)."""

    name: str
    namespace: str
    spec: TelemetrySpec

    @property
    def locate(self) -> Callable[[KeyPath], Span]:
        return lambda path: Span("meshgen.yaml")


def dashboard_uid(service: Service) -> str:
    """Stable, at most 40 characters (Grafana's limit)."""
    uid = f"meshgen-{service.namespace}-{service.name}"
    if len(uid) <= 40:
        return uid
    return "meshgen-" + hashlib.sha256(uid.encode()).hexdigest()[:32]


@record(slots=True)
class ServiceDashboard:
    """A generated dashboard: its JSON text, and what the checks read of its data."""

    text: str
    #: `analysis.dashboards.essentials` of the data `text` was written from; the JSON of
    #: such data reads back as exactly that data (tests/test_service_dashboard.py).
    checked: dict[str, Any]


def service_dashboards(config: MeshConfig) -> dict[str, ServiceDashboard]:
    """The generated dashboards by dashboard name (`<service>`), when Grafana renders them."""
    grafana = config.monitoring.grafana
    if grafana is None or not grafana.service_dashboards:
        return {}
    by_namespace = _telemetries_by_namespace(config)
    boards = {}
    for svc in config.services:
        data = build_dashboard(config, svc, by_namespace)
        boards[svc.name] = ServiceDashboard(dashboard_json(data), essentials(data))
    return boards


def dashboard_json(dashboard: dict[str, Any]) -> str:
    """Dashboard JSON with one line per top-level key and per panel.

    Diffs of the rendered values stay readable panel by panel, and the text is written by
    the C JSON encoder: `indent=2` goes through Python's, which cost 0.3 s for a thousand
    services.
    """
    lines = []
    for key, value in dashboard.items():
        name = json.dumps(key)
        if key == "panels" and isinstance(value, list) and value:
            panels = ",\n".join(f"    {json.dumps(panel)}" for panel in value)
            lines.append(f"  {name}: [\n{panels}\n  ]")
        else:
            lines.append(f"  {name}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _telemetries_by_namespace(config: MeshConfig) -> dict[str, list[_Doc]]:
    """The config's Telemetry resources grouped by namespace, in list order."""
    grouped: dict[str, list[_Doc]] = {}
    for resource in config.telemetry.resources:
        namespace = resource_namespace(config, resource)
        grouped.setdefault(namespace, []).append(_Doc(resource.name, namespace, resource))
    return grouped


def _server_state(
    config: MeshConfig, service: Service, by_namespace: dict[str, list[_Doc]]
) -> dict[str, Any]:
    from meshgen.analysis.effective import effective_metrics

    # Only the root namespace's and the service's own namespace's resources can apply; the
    # rest would be filtered out again for every service (quadratic at scale).
    root = config.istio.namespace
    docs = list(by_namespace.get(root, ()))
    if service.namespace != root:
        docs.extend(by_namespace.get(service.namespace, ()))
    return effective_metrics(
        docs,
        root_namespace=config.istio.namespace,
        namespace=service.namespace,
        workload_labels=service.selector_labels,
        mode="SERVER",
    )


def _waypoint_state(
    config: MeshConfig, service: Service, waypoint: str, by_namespace: dict[str, list[_Doc]]
) -> dict[str, Any]:
    """The metric state of the waypoint serving `service`.

    Telemetry attaches to a waypoint with `targetRefs` naming its Gateway; for the
    precedence walk each such resource stands in as a selector of the waypoint's pods.
    """
    from meshgen.analysis.effective import effective_metrics
    from meshgen.models.telemetry import WorkloadSelector

    # The label istiod's waypoint template gives a waypoint's pods (its Gateway's name).
    pod = {WAYPOINT_NAME_LABEL: waypoint}
    docs: list[_Doc] = list(by_namespace.get(config.istio.namespace, ()))
    if service.namespace != config.istio.namespace:
        for doc in by_namespace.get(service.namespace, ()):
            if not doc.spec.has_target_refs:
                docs.append(doc)
            elif _names_gateway(doc.spec, waypoint):
                spec = doc.spec.model_copy(
                    update={
                        "target_ref": None,
                        "target_refs": None,
                        "selector": WorkloadSelector.model_validate({"matchLabels": pod}),
                    }
                )
                docs.append(_Doc(doc.name, doc.namespace, spec))
    return effective_metrics(
        docs,
        root_namespace=config.istio.namespace,
        namespace=service.namespace,
        workload_labels=pod,
        mode="SERVER",
    )


def _names_gateway(spec: TelemetrySpec, name: str) -> bool:
    refs = [*(spec.target_refs or ()), *([spec.target_ref] if spec.target_ref else [])]
    return any(r.kind == "Gateway" and r.name == name for r in refs)


class _Builder:
    def __init__(
        self, config: MeshConfig, service: Service, by_namespace: dict[str, list[_Doc]]
    ) -> None:
        from meshgen.analysis import ambient

        self.service = service
        self.reporting = ambient.reporting(config, service)
        self.reporter = "waypoint" if self.reporting.waypoint else "destination"
        if self.reporting.waypoint:
            self.state = _waypoint_state(config, service, self.reporting.waypoint, by_namespace)
        else:
            self.state = _server_state(config, service, by_namespace)
        self.panels: list[dict[str, Any]] = []
        self.omitted = {o.panel for o in omissions(self.state)}
        self.grafana = config.monitoring.grafana
        self._wanted = [
            ("reporter", json.dumps(self.reporter)),
            ("destination_workload", json.dumps(service.name)),
            ("destination_workload_namespace", json.dumps(service.namespace)),
        ]
        self._matchers: dict[str, list[str]] = {}

    def shows(self, panel: str) -> bool:
        """Whether the standard `panel` has what it needs (`STANDARD_PANELS`)."""
        return panel not in self.omitted

    def has(self, metric: str, label: str) -> bool:
        state = self.state.get(metric)
        return bool(state and state.enabled and state.has_label(label))

    def selector(self, metric: str, *extra: str) -> str:
        """`{reporter=..., destination_workload=..., ...}`: the labels `metric` still has."""
        matchers = self._matchers.get(metric)
        if matchers is None:
            matchers = self._matchers[metric] = [
                f"{label}={value}" for label, value in self._wanted if self.has(metric, label)
            ]
        return "{" + ",".join([*matchers, *extra]) + "}"

    def added_labels(self, metric: str) -> list[str]:
        state = self.state.get(metric)
        if not state or not state.enabled:
            return []
        from meshgen.knowledge.istio import STANDARD_LABELS

        return sorted(label for label in state.added_labels if label not in STANDARD_LABELS)

    def panel(self, title: str, unit: str, targets: list[tuple[str, str]]) -> None:
        index = len(self.panels)
        self.panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {
                    "h": PANEL_HEIGHT,
                    "w": PANEL_WIDTH,
                    "x": (index % 2) * PANEL_WIDTH,
                    "y": (index // 2) * PANEL_HEIGHT,
                },
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [
                    {
                        "refId": chr(ord("A") + n),
                        "datasource": {"type": "prometheus", "uid": "${datasource}"},
                        "expr": expr,
                        "legendFormat": legend,
                    }
                    for n, (expr, legend) in enumerate(targets)
                ],
            }
        )


def _quantiles(b: _Builder, metric_enum: str, series: str, title: str, unit: str) -> None:
    sel = b.selector(metric_enum)
    b.panel(
        title,
        unit,
        [
            (
                f"histogram_quantile({q}, sum by (le) (rate({series}{sel}{RATE})))",
                f"p{int(q * 100)}",
            )
            for q in (0.5, 0.9, 0.99)
        ],
    )


def build_dashboard(
    config: MeshConfig, service: Service, by_namespace: dict[str, list[_Doc]] | None = None
) -> dict[str, Any]:
    """The dashboard of one service as JSON-ready data."""
    if by_namespace is None:
        by_namespace = _telemetries_by_namespace(config)
    b = _Builder(config, service, by_namespace)
    variables: list[dict[str, Any]] = [
        {
            "name": "datasource",
            "label": "Datasource",
            "type": "datasource",
            "query": "prometheus",
            "current": {"text": b.grafana.datasource.name, "value": b.grafana.datasource.uid}
            if b.grafana
            else {},
            "hide": 0,
        }
    ]
    if b.reporting.reporters == ("ztunnel",):
        _tcp_panels(b)
        return _dashboard(service, variables, b.panels)
    sel = b.selector("REQUEST_COUNT")
    if b.shows("Request rate"):
        b.panel("Request rate", "reqps", [(f"sum(rate({REQUESTS}{sel}{RATE}))", "requests/s")])
    if b.shows("Requests by response code"):
        b.panel(
            "Requests by response code",
            "reqps",
            [(f"sum by (response_code) (rate({REQUESTS}{sel}{RATE}))", "{{response_code}}")],
        )
    if b.shows("Error ratio (5xx)"):
        errors = b.selector("REQUEST_COUNT", 'response_code=~"5.."')
        b.panel(
            "Error ratio (5xx)",
            "percentunit",
            [
                (
                    f"sum(rate({REQUESTS}{errors}{RATE})) / sum(rate({REQUESTS}{sel}{RATE}))",
                    "5xx ratio",
                )
            ],
        )
    if b.shows("Latency"):
        _quantiles(b, "REQUEST_DURATION", DURATION, "Latency", "ms")
    if b.shows("Request size"):
        _quantiles(b, "REQUEST_SIZE", REQUEST_BYTES, "Request size", "decbytes")
    if b.shows("Response size"):
        _quantiles(b, "RESPONSE_SIZE", RESPONSE_BYTES, "Response size", "decbytes")
    custom = sorted(set(b.added_labels("REQUEST_COUNT")) | set(b.added_labels("REQUEST_DURATION")))
    for label in custom:
        source = "REQUEST_COUNT" if label in b.added_labels("REQUEST_COUNT") else "REQUEST_DURATION"
        series = REQUESTS if source == "REQUEST_COUNT" else DURATION
        variables.append(
            {
                "name": label,
                "label": label,
                "type": "query",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": {
                    "query": f"label_values({series}{b.selector(source)}, {label})",
                    "refId": f"{label}-values",
                },
                "definition": f"label_values({series}{b.selector(source)}, {label})",
                "refresh": 2,
                "multi": True,
                "includeAll": True,
                "allValue": ".*",
                "sort": 1,
                "hide": 0,
            }
        )
        matcher = f'{label}=~"${label}"'
        if label in b.added_labels("REQUEST_COUNT"):
            sel = b.selector("REQUEST_COUNT", matcher)
            b.panel(
                f"Requests by {label}",
                "reqps",
                [(f"sum by ({label}) (rate({REQUESTS}{sel}{RATE}))", f"{{{{{label}}}}}")],
            )
        if label in b.added_labels("REQUEST_DURATION"):
            sel = b.selector("REQUEST_DURATION", matcher)
            b.panel(
                f"p99 latency by {label}",
                "ms",
                [
                    (
                        "histogram_quantile(0.99, "
                        f"sum by (le, {label}) (rate({DURATION}{sel}{RATE})))",
                        f"{{{{{label}}}}}",
                    )
                ],
            )
    return _dashboard(service, variables, b.panels)


#: ztunnel's metrics (L4 only), as the TCP panels show them: (title, unit, series, legend).
TCP_PANELS = (
    ("Bytes received", "Bps", "istio_tcp_received_bytes_total", "received"),
    ("Bytes sent", "Bps", "istio_tcp_sent_bytes_total", "sent"),
    ("Connections opened", "cps", "istio_tcp_connections_opened_total", "opened"),
    ("Connections closed", "cps", "istio_tcp_connections_closed_total", "closed"),
)


def _tcp_panels(b: _Builder) -> None:
    """An ambient service without a waypoint: ztunnel's TCP metrics are all there is."""
    svc = b.service
    sel = (
        '{reporter="destination",'
        f"destination_workload={json.dumps(svc.name)},"
        f"destination_workload_namespace={json.dumps(svc.namespace)}}}"
    )
    for title, unit, series, legend in TCP_PANELS:
        b.panel(title, unit, [(f"sum(rate({series}{sel}{RATE}))", legend)])


def _dashboard(
    service: Service, variables: list[dict[str, Any]], panels: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "title": f"{service.name} (meshgen)",
        "uid": dashboard_uid(service),
        "description": (
            f"Generated by meshgen from the telemetry of {service.namespace}/{service.name}; "
            "edit meshgen.yaml, not this dashboard."
        ),
        "tags": ["meshgen", "istio"],
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": variables},
        "panels": panels,
        "annotations": {"list": []},
    }
