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

A dashboard is a function of its `DashboardInputs` (reporter, series, datasource) and the
service's names only: services configured alike share one build, made with stand-ins for
the names and filled in per service (`_Template`), and so does the analysis of its
queries (`_QueryTemplate`), which the checks then read instead of parsing every query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from meshgen.analysis.dashboards import DashboardQuery, dashboard_queries, essentials
from meshgen.analysis.effective import MetricState
from meshgen.analysis.promql import LabelMatcher, Query, Selector
from meshgen.knowledge.istio import STANDARD_LABELS
from meshgen.models import MeshConfig, Service, TelemetrySpec
from meshgen.records import record
from meshgen.render.ambient import WAYPOINT_NAME_LABEL
from meshgen.render.files import ServiceDashboard
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


class _Series(Protocol):
    """A metric's state as a dashboard reads it (`MetricState`, `SeriesView`)."""

    @property
    def enabled(self) -> bool: ...

    def has_label(self, label: str) -> bool: ...


def omissions(state: Mapping[str, _Series]) -> list[Omission]:
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


def service_dashboards(config: MeshConfig) -> dict[str, ServiceDashboard]:
    """The generated dashboards by dashboard name (`<service>`), when Grafana renders them.

    Services whose series look alike (the same metrics on, with the same labels) get the
    same dashboard but for their names: it is built once, with stand-ins for the names
    (`_Template`), and each such service gets a copy with its own names filled in.
    """
    grafana = config.monitoring.grafana
    if grafana is None or not grafana.service_dashboards:
        return {}
    telemetry = _Telemetry(config)
    templates: dict[DashboardInputs, _Template | None] = {}
    boards = {}
    for svc in config.services:
        inputs = dashboard_inputs(config, svc, telemetry)
        uid = dashboard_uid(svc)
        board = None
        if _NAME.fullmatch(svc.name) and _NAME.fullmatch(svc.namespace):
            if inputs not in templates:
                templates[inputs] = _Template.build(inputs)
            template = templates[inputs]
            if template is not None:
                board = template.fill((svc.name, svc.namespace, uid))
        if board is None:
            data = _build(inputs, svc.name, svc.namespace, uid)
            board = ServiceDashboard(dashboard_json(data), essentials(data))
        boards[svc.name] = board
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


class SeriesView(NamedTuple):
    """What a dashboard can read of one metric: whether its series exist, and their labels.

    A tuple, not a record: every service's `DashboardInputs` is looked up among the
    templates built so far, and tuples compare in C.
    """

    enabled: bool
    labels: frozenset[str]

    def has_label(self, label: str) -> bool:
        return label in self.labels


_STANDARD = frozenset(STANDARD_LABELS)


def series_view(state: Mapping[str, MetricState]) -> tuple[tuple[str, SeriesView], ...]:
    """Each metric of `state` as its series are seen: on or off, and the labels they carry.

    A label is carried when it is standard and not removed, or added (`has_label`); what
    an added label's value is computed from is no concern of a dashboard.
    """
    return tuple(
        (
            metric,
            SeriesView(
                metric_state.enabled,
                (_STANDARD - metric_state.removed_labels) | frozenset(metric_state.added_labels),
            ),
        )
        for metric, metric_state in state.items()
    )


@record(slots=True)
class DashboardInputs:
    """Everything a service's dashboard is built from, but the service's names.

    The builder (`_build`) is given only this and the names, so two services with equal
    inputs get the same dashboard but for their names.
    """

    #: Only ztunnel reports (ambient without a waypoint): the TCP panels.
    tcp_only: bool
    #: The `reporter` whose series the panels read.
    reporter: str
    #: The server-side series the reporter emits (`series_view`).
    series: tuple[tuple[str, SeriesView], ...]
    #: The provisioned datasource, as the `datasource` variable's current value.
    datasource: tuple[str, str | None] | None


class _Telemetry:
    """The config's Telemetry resources, for the server-side state of each service."""

    def __init__(self, config: MeshConfig) -> None:
        from meshgen.analysis.effective import EffectiveTelemetry

        self.by_namespace = _telemetries_by_namespace(config)
        self.shared = EffectiveTelemetry(
            [doc for docs in self.by_namespace.values() for doc in docs],
            root_namespace=config.istio.namespace,
        )

    def server_state(self, service: Service) -> dict[str, MetricState]:
        return self.shared.metrics(
            namespace=service.namespace, workload_labels=service.selector_labels, mode="SERVER"
        )


def dashboard_inputs(
    config: MeshConfig, service: Service, telemetry: _Telemetry | None = None
) -> DashboardInputs:
    """What `service`'s dashboard is built from (`DashboardInputs`)."""
    from meshgen.analysis import ambient

    telemetry = telemetry or _Telemetry(config)
    reporting = ambient.reporting(config, service)
    if reporting.waypoint:
        state = _waypoint_state(config, service, reporting.waypoint, telemetry.by_namespace)
    else:
        state = telemetry.server_state(service)
    grafana = config.monitoring.grafana
    return DashboardInputs(
        tcp_only=reporting.reporters == ("ztunnel",),
        reporter="waypoint" if reporting.waypoint else "destination",
        series=series_view(state),
        datasource=(grafana.datasource.name, grafana.datasource.uid) if grafana else None,
    )


#: The names a `_Template` is filled with: DNS labels (as Kubernetes names are), whose
#: characters every escape on the way (JSON, PromQL strings in JSON) leaves as they are.
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
#: Stand-ins for a service's name, namespace and dashboard uid. Each holds `_`, which no
#: name a template is filled with can hold, so a filled-in name never forms a stand-in.
_MARKS = ("_n_", "_s_", "_u_")
#: Other stand-ins, of other lengths: a template is used only if building with these gives
#: what filling it with them gives (`_Template.build`). Each also holds `-`, which no
#: PromQL identifier can: a stand-in that landed where a query names a label or metric
#: makes that query fail to parse, so the analysis of the check build differs from the
#: filled one and the queries are not carried (`_QueryTemplate`).
_CHECK_MARKS = ("_n-n_", "_s-s-s_", "_u-u-u-u_")
_MARK = re.compile("(_[nsu]_)")


@record(slots=True)
class _Template:
    """A service dashboard built with `_MARKS` for the names, to be filled per service."""

    #: The JSON text split at the stand-ins: text, stand-in, text, ..., text.
    pieces: tuple[str, ...]
    #: `essentials` of the data, stand-ins included.
    checked: dict[str, Any]
    #: Where `checked` holds stand-ins (`_holes`).
    holes: Any
    #: The analysis of the queries, to fill per service; None: the checks analyse them.
    queries: _QueryTemplate | None = None

    @classmethod
    def build(cls, inputs: DashboardInputs) -> _Template | None:
        """The template of `inputs`; None if filling it is not the same as building.

        That is when a stand-in sits in the text other than where a name was put (a label
        or a datasource named like one): a build with `_CHECK_MARKS` then differs from the
        template filled with them. The analysis of the queries is kept only if it, too,
        fills in as the check build's own analysis comes out (else the checks analyse
        each dashboard's queries themselves). That proof tries one other set of names;
        that it holds for every name rests also on the analysis reading a literal matcher
        value as an opaque string (`analysis.promql`: no placeholder or marker it uses can
        occur in a query's own text), which tests/test_service_dashboard_templates.py
        holds over generated names, reserved words included.
        """
        data = _build(inputs, *_MARKS)
        checked = essentials(data)
        template = cls(tuple(_MARK.split(dashboard_json(data))), checked, _holes(checked))
        other = _build(inputs, *_CHECK_MARKS)
        filled = template.fill(_CHECK_MARKS)
        other_checked = essentials(other)
        if filled.text != dashboard_json(other) or filled.checked != other_checked:
            return None
        queries = _QueryTemplate.of(tuple(dashboard_queries(checked)))
        if queries is None:
            return template
        if queries.fill(_text_filler(dict(zip(_MARKS, _CHECK_MARKS, strict=True)))) != tuple(
            dashboard_queries(other_checked)
        ):
            return template
        return dataclasses.replace(template, queries=queries)

    def fill(self, names: tuple[str, str, str]) -> ServiceDashboard:
        """The dashboard for (name, namespace, uid).

        The parts of `checked` without stand-ins are shared by every dashboard filled from
        this template (check inputs are read-only), and so are the analyses of queries
        without stand-ins. A text in both (an expression) is filled once, held once.
        """
        by_mark = dict(zip(_MARKS, names, strict=True))
        fill = _text_filler(by_mark)
        checked = self.checked
        if self.holes is not None:
            checked = _filled(checked, self.holes, fill)
        queries = self.queries.fill(fill) if self.queries is not None else None
        return ServiceDashboard(_joined(self.pieces, by_mark), checked, queries)


#: A matcher of a `_QueryTemplate`: kept as it is, or (its index in `_QueryTemplate.holes`)
#: one whose value holds stand-ins.
_PlannedMatcher = LabelMatcher | int


@record(slots=True)
class _PlannedQuery:
    """One `DashboardQuery` of a template, planned for filling.

    Its texts split at the stand-ins (`_MARK.split`) and, per selector whose matchers hold
    stand-ins, those matchers (`_PlannedMatcher`).
    """

    title: tuple[str, ...]
    expression: tuple[str, ...]
    variable: bool
    #: The analysis, whose `expression` is the query's (`dashboard_queries` makes it so).
    query: Query
    selectors: tuple[tuple[int, tuple[_PlannedMatcher, ...]], ...]


@record(slots=True)
class _QueryTemplate:
    """The `dashboard_queries` of a template's data, to be filled per service.

    Only matcher values and texts (titles, expressions) may hold stand-ins: a query that
    holds one anywhere else (a metric, a grouping label), or that has an error (whose
    text could), is not planned, and the template's queries are then analysed per
    dashboard as usual. So `fill` builds queries without an error.
    """

    queries: tuple[_PlannedQuery, ...]
    #: The distinct matchers with stand-ins in their value: (name, op, value split).
    holes: tuple[tuple[str, Any, tuple[str, ...]], ...]

    @classmethod
    def of(cls, items: tuple[DashboardQuery, ...]) -> _QueryTemplate | None:
        """The plan of `items`, or None if a stand-in sits where no plan fills it."""
        holes: dict[tuple[str, Any, tuple[str, ...]], int] = {}
        planned = []
        for item in items:
            query = item.query
            if query.error is not None or _marked(query.requested_label):
                return None
            if query.expression != item.expression:
                return None
            if any(_marked(label) for g in query.groupings for label in g.labels):
                return None
            selectors = []
            for position, selector in enumerate(query.selectors):
                if _marked(selector.metric) or any(map(_marked, selector.context_labels)):
                    return None
                matchers: list[_PlannedMatcher] = []
                for matcher in selector.matchers:
                    pieces = tuple(_MARK.split(matcher.value))
                    if _marked(matcher.name):
                        return None
                    if len(pieces) == 1:
                        matchers.append(matcher)
                    else:
                        key = (matcher.name, matcher.op, pieces)
                        matchers.append(holes.setdefault(key, len(holes)))
                if any(isinstance(m, int) for m in matchers):
                    selectors.append((position, tuple(matchers)))
            planned.append(
                _PlannedQuery(
                    tuple(_MARK.split(item.title)),
                    tuple(_MARK.split(item.expression)),
                    item.variable,
                    query,
                    tuple(selectors),
                )
            )
        return cls(tuple(planned), tuple(holes))

    def fill(self, fill: Callable[[tuple[str, ...]], str]) -> tuple[DashboardQuery, ...]:
        """The queries of the dashboard whose texts `fill` fills (`_text_filler`).

        That is `dashboard_queries` of its data.
        """
        made = [LabelMatcher(name, op, fill(pieces)) for name, op, pieces in self.holes]
        out = []
        for plan in self.queries:
            query = plan.query
            expression = fill(plan.expression)
            if plan.selectors:
                selectors = list(query.selectors)
                for position, matchers in plan.selectors:
                    selector = selectors[position]
                    selectors[position] = Selector(
                        selector.metric,
                        tuple([made[m] if isinstance(m, int) else m for m in matchers]),
                        selector.context_labels,
                    )
                selected = tuple(selectors)
            else:
                selected = query.selectors
            if selected is not query.selectors or expression != query.expression:
                query = Query(
                    expression, query.kind, selected, query.groupings, query.requested_label
                )
            out.append(
                DashboardQuery(
                    fill(plan.title),
                    expression,
                    plan.variable,
                    query,
                )
            )
        return tuple(out)


def _marked(text: str | None) -> bool:
    """Whether `text` holds a stand-in."""
    return text is not None and _MARK.search(text) is not None


def _holes(node: Any) -> Any:
    """Where `node` holds stand-ins: None (nowhere), or where in it.

    That is a string's `_MARK.split` pieces, or `{key or index: holes}` of the children of
    a dict or list that hold some.
    """
    kind = type(node)
    if kind is str:
        pieces = _MARK.split(node)
        return tuple(pieces) if len(pieces) > 1 else None
    if kind is dict or kind is list:
        found = {}
        for key, value in node.items() if kind is dict else enumerate(node):
            inner = _holes(value)
            if inner is not None:
                found[key] = inner
        return found or None
    return None


def _filled(node: Any, holes: Any, fill: Callable[[tuple[str, ...]], str]) -> Any:
    """`node` with the stand-ins `holes` locates filled in (the containers on the way copied)."""
    if type(holes) is tuple:
        return fill(holes)
    copy = dict(node) if type(node) is dict else list(node)
    for key, inner in holes.items():
        copy[key] = _filled(node[key], inner, fill)
    return copy


def _text_filler(by_mark: dict[str, str]) -> Callable[[tuple[str, ...]], str]:
    """`_joined` with these names, each distinct text filled once (and so held once)."""
    memo: dict[tuple[str, ...], str] = {}

    def fill(pieces: tuple[str, ...]) -> str:
        found = memo.get(pieces)
        if found is None:
            found = memo[pieces] = _joined(pieces, by_mark)
        return found

    return fill


def _joined(pieces: tuple[str, ...], by_mark: dict[str, str]) -> str:
    """Text, stand-in, text, ... joined with each stand-in replaced."""
    if len(pieces) == 1:
        return pieces[0]
    parts = list(pieces)
    parts[1::2] = [by_mark[mark] for mark in pieces[1::2]]
    return "".join(parts)


def _telemetries_by_namespace(config: MeshConfig) -> dict[str, list[_Doc]]:
    """The config's Telemetry resources grouped by namespace, in list order."""
    grouped: dict[str, list[_Doc]] = {}
    for resource in config.telemetry.resources:
        namespace = resource_namespace(config, resource)
        grouped.setdefault(namespace, []).append(_Doc(resource.name, namespace, resource))
    return grouped


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
    """The panels of one dashboard as they are added, from its inputs and names only."""

    def __init__(self, inputs: DashboardInputs, name: str, namespace: str) -> None:
        self.name = name
        self.namespace = namespace
        self.state = dict(inputs.series)
        self.panels: list[dict[str, Any]] = []
        self.omitted = {o.panel for o in omissions(self.state)}
        self._wanted = [
            ("reporter", json.dumps(inputs.reporter)),
            ("destination_workload", json.dumps(name)),
            ("destination_workload_namespace", json.dumps(namespace)),
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
        """The labels the config adds to `metric`'s series, beyond Istio's standard ones."""
        state = self.state.get(metric)
        if not state or not state.enabled:
            return []
        return sorted(state.labels - _STANDARD)

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


def build_dashboard(config: MeshConfig, service: Service) -> dict[str, Any]:
    """The dashboard of one service as JSON-ready data."""
    inputs = dashboard_inputs(config, service)
    return _build(inputs, service.name, service.namespace, dashboard_uid(service))


def _build(inputs: DashboardInputs, name: str, namespace: str, uid: str) -> dict[str, Any]:
    """The dashboard for `inputs` with these names: what every service dashboard comes from."""
    b = _Builder(inputs, name, namespace)
    variables: list[dict[str, Any]] = [
        {
            "name": "datasource",
            "label": "Datasource",
            "type": "datasource",
            "query": "prometheus",
            "current": {"text": inputs.datasource[0], "value": inputs.datasource[1]}
            if inputs.datasource
            else {},
            "hide": 0,
        }
    ]
    if inputs.tcp_only:
        _tcp_panels(b)
        return _dashboard(name, namespace, uid, variables, b.panels)
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
    return _dashboard(name, namespace, uid, variables, b.panels)


#: ztunnel's metrics (L4 only), as the TCP panels show them: (title, unit, series, legend).
TCP_PANELS = (
    ("Bytes received", "Bps", "istio_tcp_received_bytes_total", "received"),
    ("Bytes sent", "Bps", "istio_tcp_sent_bytes_total", "sent"),
    ("Connections opened", "cps", "istio_tcp_connections_opened_total", "opened"),
    ("Connections closed", "cps", "istio_tcp_connections_closed_total", "closed"),
)


def _tcp_panels(b: _Builder) -> None:
    """An ambient service without a waypoint: ztunnel's TCP metrics are all there is."""
    sel = (
        '{reporter="destination",'
        f"destination_workload={json.dumps(b.name)},"
        f"destination_workload_namespace={json.dumps(b.namespace)}}}"
    )
    for title, unit, series, legend in TCP_PANELS:
        b.panel(title, unit, [(f"sum(rate({series}{sel}{RATE}))", legend)])


def _dashboard(
    name: str,
    namespace: str,
    uid: str,
    variables: list[dict[str, Any]],
    panels: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "title": f"{name} (meshgen)",
        "uid": uid,
        "description": (
            f"Generated by meshgen from the telemetry of {namespace}/{name}; "
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
