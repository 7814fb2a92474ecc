"""meshgen's output and knowledge checked against the real upstream files in ../shared/upstream.

- every Telemetry meshgen renders validates against the Telemetry CRD's `v1` schema;
- every key meshgen writes into istiod, base and Grafana values exists in the chart defaults
  (or sits under a free-form map, or is a key the defaults document in a comment);
- the rendered Prometheus values validate against the chart's values.schema.json;
- the rendered helmfile.yaml validates against the SchemaStore helmfile schema (draft-07);
- the committed chart key data equals what scripts/derive_chart_keys.py derives now;
- meshgen's own Telemetry schema agrees with the CRD (schema + CEL rules + structural
  pruning) on a corpus of valid and invalid specs.

All tests skip (fixture `upstream`) when the upstream folder is absent.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from ruamel.yaml import YAML

from meshgen import api
from meshgen.checks import schemas
from meshgen.render import RenderedFile, naming

REPO = Path(__file__).resolve().parent.parent

RICH_CONFIG = """\
output: out
istio:
  version: 1.30.3
  revision: canary
  accessLogging: {enabled: true, encoding: JSON, format: "%START_TIME%", provider: otel-als}
  tracing: {enabled: true, samplingPercentage: 5.0, provider: zipkin}
  extensionProviders:
    - name: zipkin
      zipkin: {service: zipkin.tracing.svc.cluster.local, port: 9411}
    - name: otel-als
      envoyOtelAls: {service: otel.observability.svc.cluster.local, port: 4317}
  defaultProviders: {metrics: [prometheus]}
namespaces:
  - name: inference
    injection: {revision: canary}
    labels: {team: wave-speed}
    annotations: {owner: platform}
telemetry:
  proxyStatsMatcher:
    inclusionPrefixes: [cluster.outbound]
    inclusionSuffixes: [upstream_rq_timeout]
    inclusionRegexps: [".*circuit_breakers.*"]
  histogramBuckets:
    istiocustom: [1, 5, 10, 50, 100, 500, 1000]
  resources:
    - name: mesh-default
      metrics:
        - providers: [{name: prometheus}]
          reportingInterval: 15s
          overrides:
            - match: {metric: ALL_METRICS, mode: CLIENT_AND_SERVER}
              tagOverrides:
                request_protocol: {operation: REMOVE}
            - match: {customMetric: requests_total, mode: SERVER}
              disabled: false
              tagOverrides:
                model: {operation: UPSERT, value: "request.headers['x-model']"}
      accessLogging:
        - match: {mode: CLIENT}
          providers: [{name: otel-als}]
          disabled: false
          filter: {expression: "response.code >= 400"}
      tracing:
        - match: {mode: SERVER}
          providers: [{name: zipkin}]
          randomSamplingPercentage: 12.5
          disableSpanReporting: false
          useRequestIdForTraceSampling: true
          enableIstioTags: true
          disableContextPropagation: false
          customTags:
            cluster: {literal: {value: east}}
            pod: {environment: {name: POD_NAME, defaultValue: unknown}}
            user: {header: {name: x-user, defaultValue: anonymous}}
            route: {formatter: {value: "%ROUTE_NAME%"}}
    - name: balancer
      namespace: inference
      selector: {matchLabels: {app: inference-balancer}}
      metrics:
        - overrides:
            - match: {metric: GRPC_REQUEST_MESSAGES}
              disabled: true
    - name: gateway
      namespace: inference
      targetRefs:
        - {group: "", kind: Service, name: inference-gateway}
      accessLogging:
        - providers: [{name: envoy}]
monitoring:
  namespace: monitoring
  prometheus:
    chartVersion: 29.27.0
    scrapeInterval: 30s
    retention: 7d
    istioScraping: {istiod: true, envoyStats: true}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    dashboards:
      - {name: istio-mesh, gnetId: 7639, revision: 330}
      - {name: local-board, folder: team, file: dashboards/local.json}
services:
  - name: inference-balancer
    namespace: inference
    chart: repo/inference-balancer
    version: 1.0.0
    repository: {name: repo, url: "https://charts.example.com"}
    histogramBuckets: {istiocustom: [1, 10, 100]}
    trafficTest: {path: /v1/infer, qps: 5}
"""

LOCAL_DASHBOARD = {"title": "Local", "uid": "local", "panels": [], "schemaVersion": 39}


@cache
def _rendered(which: str, tmp: str) -> tuple[RenderedFile, ...]:
    if which == "infrastructure":
        project = api.load_project(REPO / "infrastructure" / "meshgen.yaml")
    else:
        root = Path(tmp)
        (root / "dashboards").mkdir(parents=True, exist_ok=True)
        (root / "dashboards" / "local.json").write_text(json.dumps(LOCAL_DASHBOARD))
        (root / "meshgen.yaml").write_text(RICH_CONFIG)
        project = api.load_project(root / "meshgen.yaml")
    assert project.rendered, [d.format_text() for d in project.diagnostics]
    return tuple(project.files)


@pytest.fixture(scope="module", params=["infrastructure", "rich"])
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RenderedFile, ...]:
    return _rendered(request.param, str(tmp_path_factory.mktemp("rich")))


def _file(files: tuple[RenderedFile, ...], path: str) -> Any:
    for f in files:
        if f.path == path:
            return f.data
    raise AssertionError(f"{path} not rendered")


def _yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


# --- the Telemetry CRD as an oracle: OpenAPI schema + CEL rules + structural pruning ------


@cache
def _crd_schema(upstream: Path) -> dict[str, Any]:
    crd = _yaml(upstream / "istio-1.30.3" / "telemetry-crd.yaml")
    (v1,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema = v1["schema"]["openAPIV3Schema"]
    assert isinstance(schema, dict)
    return schema


def _to_json_schema(node: Any) -> Any:
    """OpenAPI v3 schema -> JSON Schema: drop x-kubernetes-* extensions, map `nullable`."""
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _to_json_schema(v)
        for k, v in node.items()
        if not k.startswith("x-kubernetes-") and k != "nullable"
    }
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _cel_program(rule: str) -> Any:
    import celpy

    env = celpy.Environment()
    return env.program(env.compile(rule))


def _cel_failures(schema: Mapping[str, Any], value: Any, path: str = "spec") -> Iterator[str]:
    """Violated x-kubernetes-validations rules (a CEL runtime error counts as a violation)."""
    import celpy

    for rule in schema.get("x-kubernetes-validations", ()):
        program = _cel_program(rule["rule"])
        try:
            ok = bool(program.evaluate({"self": celpy.json_to_cel(value)}))
        except Exception:  # a CEL evaluation error rejects the object, as in Kubernetes
            ok = False
        if not ok:
            yield f"{path}: {rule['message']}"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, child in value.items():
            sub = props.get(key) or (extra if isinstance(extra, dict) else None)
            if sub is None:
                if props and not schema.get("x-kubernetes-preserve-unknown-fields"):
                    yield f"{path}.{key}: unknown field (pruned; rejected by strict field validation)"
                continue
            yield from _cel_failures(sub, child, f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, child in enumerate(value):
            yield from _cel_failures(schema["items"], child, f"{path}[{i}]")


def crd_problems(upstream: Path, spec: Any) -> list[str]:
    """Why the API server would refuse a Telemetry with this spec (empty when accepted)."""
    schema = _crd_schema(upstream)
    validator = Draft7Validator(_to_json_schema(schema))
    problems = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors({"spec": spec})
    ]
    return problems + list(_cel_failures(schema["properties"]["spec"], spec))


def meshgen_problems(spec: Any) -> list[str]:
    doc = {
        "apiVersion": "telemetry.istio.io/v1",
        "kind": "Telemetry",
        "metadata": {"name": "t", "namespace": "default"},
        "spec": spec,
    }
    return [f"{e.dotted}: {e.message}" for e in schemas.errors(schemas.TELEMETRY, doc)]


def _telemetries(files: tuple[RenderedFile, ...]) -> list[Any]:
    return [f.data for f in files if f.path.startswith(naming.TELEMETRY_DIR)]


def test_rendered_telemetry_validates_against_the_crd(
    upstream: Path, rendered: tuple[RenderedFile, ...]
) -> None:
    docs = _telemetries(rendered)
    assert docs
    for doc in docs:
        assert doc["apiVersion"] == "telemetry.istio.io/v1"
        assert crd_problems(upstream, doc["spec"]) == [], doc["metadata"]["name"]
        assert meshgen_problems(doc["spec"]) == []


def test_rich_config_exercises_every_telemetry_field(upstream: Path, tmp_path: Path) -> None:
    """The rich config must really use every spec field of the CRD (else the test is weak)."""
    used: set[str] = set()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(
                    child,
                    f"{path}.*"
                    if path.endswith(("tagOverrides", "customTags", "matchLabels"))
                    else f"{path}.{key}",
                )
        elif isinstance(value, list):
            for child in value:
                walk(child, f"{path}[]")
        used.add(path)

    for doc in _telemetries(_rendered("rich", str(tmp_path))):
        walk(doc["spec"], "spec")

    def fields(schema: Mapping[str, Any], path: str) -> Iterator[str]:
        yield path
        for key, sub in schema.get("properties", {}).items():
            yield from fields(sub, f"{path}.{key}")
        if isinstance(schema.get("additionalProperties"), dict):
            yield from fields(schema["additionalProperties"], f"{path}.*")
        if isinstance(schema.get("items"), dict):
            yield from fields(schema["items"], f"{path}[]")

    expected = set(fields(_crd_schema(upstream)["properties"]["spec"], "spec"))
    # targetRef is the hidden legacy single form; the customMetric/metric one-of is covered
    # by two overrides; the models do not offer a target namespace (it must be empty anyway).
    not_modelled = {"spec.targetRef", "spec.targetRefs[].namespace"}
    missing = {f for f in expected - used if not any(f.startswith(n) for n in not_modelled)}
    assert missing == set()


# --- chart values keys ------------------------------------------------------------------------

#: Maps whose keys are free-form (config files, Kubernetes objects) though their default is not {}.
FREE_FORM = {
    "istiod": {("meshConfig",), ("resources",)},
    "base": set(),
    "grafana": {("grafana.ini",), ("datasources",), ("dashboards",), ("dashboardProviders",)},
}


def _defaults(upstream: Path, chart: str) -> tuple[Any, str]:
    relative = {
        "istiod": "istio-1.30.3/istiod-values.yaml",
        "base": "istio-1.30.3/base-values.yaml",
        "grafana": "grafana-chart-12.11.1/values.yaml",
    }[chart]
    text = (upstream / relative).read_text(encoding="utf-8")
    data = YAML(typ="safe", pure=True).load(text)
    if chart in ("istiod", "base"):
        data = data["_internal_defaults_do_not_set"]
    return data, text


def _key_paths(
    values: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for key, value in values.items():
        yield (*prefix, str(key))
        if isinstance(value, Mapping):
            yield from _key_paths(value, (*prefix, str(key)))


def _accepted(defaults: Any, text: str, free: set[tuple[str, ...]], path: tuple[str, ...]) -> bool:
    node = defaults
    for depth, part in enumerate(path):
        if path[:depth] in free or (isinstance(node, Mapping) and not node and depth):
            return True  # under a free-form map
        if not isinstance(node, Mapping) or part not in node:
            # a key the defaults document only in a comment, e.g. grafana `# podLabels: {}`
            # (free-form below it when the comment shows an empty map)
            match = re.search(rf"^\s*#\s*{re.escape(part)}:(.*)$", text, re.MULTILINE)
            if match is None:
                return False
            return depth == len(path) - 1 or match.group(1).strip() == "{}"
        node = node[part]
    return True


@pytest.mark.parametrize(
    ("chart", "path"),
    [
        ("istiod", naming.ISTIO_VALUES),
        ("base", naming.ISTIO_BASE_VALUES),
        ("grafana", naming.GRAFANA_VALUES),
    ],
)
def test_rendered_value_keys_exist_upstream(
    upstream: Path, rendered: tuple[RenderedFile, ...], chart: str, path: str
) -> None:
    defaults, text = _defaults(upstream, chart)
    values = _file(rendered, path)
    unknown = [p for p in _key_paths(values) if not _accepted(defaults, text, FREE_FORM[chart], p)]
    assert unknown == []


def test_accepted_rejects_a_misspelt_key(upstream: Path) -> None:
    defaults, text = _defaults(upstream, "istiod")
    assert not _accepted(
        defaults, text, FREE_FORM["istiod"], ("telemetry", "v2", "prometheus", "enable")
    )
    assert _accepted(defaults, text, FREE_FORM["istiod"], ("meshConfig", "anything"))


def test_rendered_prometheus_values_validate_against_the_chart_schema(
    upstream: Path, rendered: tuple[RenderedFile, ...]
) -> None:
    schema = json.loads((upstream / "prometheus-chart-29.27.0" / "values.schema.json").read_text())
    validator = Draft202012Validator(schema)  # helm >= 3.18.5 reads schema# as 2020-12
    values = _file(rendered, naming.PROMETHEUS_VALUES)
    assert [e.message for e in validator.iter_errors(values)] == []
    bad = copy.deepcopy(values)
    bad["extraScrapeConfigs"] = [{"job_name": "x"}]
    assert list(validator.iter_errors(bad)), "the upstream schema should refuse a list"


def test_prometheus_values_schema_agrees_with_the_chart_schema(upstream: Path) -> None:
    """Every type meshgen's prometheus-values schema states is the chart schema's type."""
    theirs = json.loads((upstream / "prometheus-chart-29.27.0" / "values.schema.json").read_text())
    ours = schemas.load_schema(schemas.PROMETHEUS_VALUES)

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        return ours["$defs"][ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else node

    compared = 0

    def walk(mine: Mapping[str, Any], upstream_node: Mapping[str, Any], path: str) -> None:
        nonlocal compared
        mine = resolve(mine)
        if "type" in mine and "type" in upstream_node:
            mine_types = {mine["type"]} if isinstance(mine["type"], str) else set(mine["type"])
            assert upstream_node["type"] in mine_types, path
            compared += 1
        for key, sub in mine.get("properties", {}).items():
            if key in upstream_node.get("properties", {}):
                walk(sub, upstream_node["properties"][key], f"{path}.{key}")

    walk(ours, theirs, "values")
    assert compared >= 10


def test_rendered_helmfile_validates_against_schemastore(
    upstream: Path, rendered: tuple[RenderedFile, ...]
) -> None:
    schema = json.loads((upstream / "helmfile-schemastore.schema.json").read_text())
    validator = Draft7Validator(schema)
    assert [e.message for e in validator.iter_errors(_file(rendered, naming.HELMFILE))] == []


# --- derived chart key data -----------------------------------------------------------------


def _derive_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "derive_chart_keys", REPO / "scripts" / "derive_chart_keys.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


CHARTS = REPO.parent / "shared" / "charts"


@pytest.fixture
def charts_dir() -> Path:
    """../shared/charts (the real chart sources), or skip."""
    if not CHARTS.is_dir():
        pytest.skip(f"chart sources not found at {CHARTS} (only present beside the CI checkout)")
    return CHARTS


def test_committed_chart_keys_match_the_chart_sources(charts_dir: Path) -> None:
    derive = _derive_module()
    data_dir = REPO / "src" / "meshgen" / "knowledge" / "data"
    for name, content in derive.derive_all(charts_dir).items():
        committed = (data_dir / name).read_text(encoding="utf-8")
        assert committed == derive.dumps(content), (
            f"{name} is stale: run scripts/derive_chart_keys.py"
        )


def test_chart_keys_know_every_default_key(upstream: Path) -> None:
    from meshgen.knowledge import charts

    for chart in ("istiod", "base", "grafana"):
        defaults, _ = _defaults(upstream, chart)
        keys = charts.chart_keys(chart)
        assert keys is not None
        assert list(keys.unknown_keys(defaults)) == []
        assert [p for p in _key_paths(defaults) if not keys.has(p) and not keys.known(p)] == []


# --- meshgen's Telemetry schema against the CRD -----------------------------------------------

VALID_SPECS: list[Any] = [
    {},
    {"selector": {"matchLabels": {"app": "inference-balancer", "version": "v1"}}},
    {"targetRefs": [{"group": "", "kind": "Service", "name": "web"}]},
    {
        "targetRefs": [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": f"g{i}"}
            for i in range(16)
        ]
    },
    {"targetRef": {"kind": "Gateway", "name": "waypoint", "group": "gateway.networking.k8s.io"}},
    {
        "metrics": [
            {
                "providers": [{"name": "prometheus"}],
                "reportingInterval": "10s",
                "overrides": [
                    {
                        "match": {"metric": "REQUEST_COUNT", "mode": "CLIENT_AND_SERVER"},
                        "tagOverrides": {
                            "model": {"value": "request.headers['x-model']"},
                            "request_protocol": {"operation": "REMOVE"},
                            "method": {"operation": "UPSERT", "value": "request.method"},
                        },
                    },
                    {"match": {"customMetric": "my_metric", "mode": "SERVER"}, "disabled": None},
                    {"match": {"mode": "CLIENT"}, "disabled": True},
                ],
            }
        ]
    },
    {
        "metrics": [
            {"reportingInterval": "1m30s"},
            {"reportingInterval": "1ms"},
            {"reportingInterval": "0.5s"},
        ]
    },
    {
        "accessLogging": [
            {
                "match": {"mode": "SERVER"},
                "providers": [{"name": "envoy"}],
                "disabled": False,
                "filter": {"expression": "response.code >= 400"},
            }
        ]
    },
    {
        "tracing": [
            {
                "match": {"mode": "CLIENT"},
                "providers": [{"name": "zipkin"}],
                "randomSamplingPercentage": 0,
                "disableSpanReporting": None,
                "useRequestIdForTraceSampling": True,
                "enableIstioTags": False,
                "disableContextPropagation": True,
                "customTags": {
                    "a": {"literal": {"value": "x"}},
                    "b": {"environment": {"name": "POD", "defaultValue": ""}},
                    "c": {"header": {"name": "x-user"}},
                    "d": {"formatter": {"value": "%ROUTE_NAME%"}},
                    "e": {},
                },
            }
        ]
    },
    {
        "tracing": [
            {"randomSamplingPercentage": 100},
            {"randomSamplingPercentage": 12.5},
            {"randomSamplingPercentage": None},
        ]
    },
    {"selector": {"matchLabels": {"a": "x" * 63}}},
]

INVALID_SPECS: list[Any] = [
    {"metrics": [{"overrides": [{"match": {"metric": "REQUEST_COUNTS"}}]}]},
    {"metrics": [{"overrides": [{"match": {"metric": "REQUEST_COUNT", "customMetric": "x"}}]}]},
    {"metrics": [{"overrides": [{"match": {"customMetric": ""}}]}]},
    {"metrics": [{"overrides": [{"match": {"mode": "BOTH"}}]}]},
    {"metrics": [{"overrides": [{"tagOverrides": {"a": {"operation": "UPSERT"}}}]}]},
    {"metrics": [{"overrides": [{"tagOverrides": {"a": {"operation": "UPSERT", "value": ""}}}]}]},
    {"metrics": [{"overrides": [{"tagOverrides": {"a": {"operation": "REMOVE", "value": "x"}}}]}]},
    {"metrics": [{"overrides": [{"tagOverrides": {"a": {"operation": "DELETE"}}}]}]},
    {"metrics": [{"overrides": [{"disabled": "yes"}]}]},
    {"metrics": [{"providers": [{"name": ""}]}]},
    {"metrics": [{"providers": [{}]}]},
    {"metrics": [{"reportingInterval": "fast"}]},
    {"metrcs": [{"providers": [{"name": "prometheus"}]}]},
    {"metrics": [{"overrides": [{"match": {"metric": "REQUEST_COUNT"}, "tagOverride": {}}]}]},
    {"tracing": [{"randomSamplingPercentage": 100.5}]},
    {"tracing": [{"randomSamplingPercentage": -1}]},
    {"tracing": [{"customTags": {"a": {"literal": {"value": "x"}, "header": {"name": "h"}}}}]},
    {"tracing": [{"customTags": {"a": {"literal": {"value": ""}}}}]},
    {"tracing": [{"customTags": {"a": {"header": {"defaultValue": "x"}}}}]},
    {"accessLogging": [{"match": {"mode": "INBOUND"}}]},
    {"accessLogging": [{"filter": {"expression": 3}}]},
    {"selector": {"matchLabels": {"app": "web-*"}}},
    {"selector": {"matchLabels": {"app*": "web"}}},
    {"selector": {"matchLabels": {"": "web"}}},
    {"selector": {"matchLabels": {"app": "x" * 64}}},
    {
        "selector": {"matchLabels": {"app": "web"}},
        "targetRefs": [{"kind": "Service", "name": "web"}],
    },
    {
        "targetRef": {"kind": "Service", "name": "a"},
        "targetRefs": [{"kind": "Service", "name": "b"}],
    },
    {"targetRefs": [{"kind": "Service", "name": "web", "namespace": "other"}]},
    {"targetRefs": [{"kind": "1Service", "name": "web"}]},
    {"targetRefs": [{"kind": "Service"}]},
    {"targetRefs": [{"kind": "Service", "name": "x", "group": "Not_A_Group"}]},
    {"targetRefs": [{"kind": "Service", "name": f"s{i}"} for i in range(17)]},
]

#: Rejected by a CRD CEL rule that JSON Schema cannot express (`duration(self) >= 1ms`).
CRD_ONLY_INVALID: list[Any] = [{"metrics": [{"reportingInterval": "500us"}]}]


@pytest.mark.parametrize("spec", VALID_SPECS, ids=lambda s: json.dumps(s)[:60])
def test_valid_corpus_accepted_by_crd_and_meshgen(upstream: Path, spec: Any) -> None:
    assert crd_problems(upstream, spec) == []
    assert meshgen_problems(spec) == []


@pytest.mark.parametrize("spec", INVALID_SPECS, ids=lambda s: json.dumps(s)[:60])
def test_invalid_corpus_rejected_by_crd_and_meshgen(upstream: Path, spec: Any) -> None:
    assert crd_problems(upstream, spec), "the corpus entry should be invalid for the CRD"
    assert meshgen_problems(spec), "meshgen's schema accepts what the CRD refuses"


@pytest.mark.parametrize("spec", CRD_ONLY_INVALID, ids=lambda s: json.dumps(s)[:60])
def test_known_gap_duration_minimum(upstream: Path, spec: Any) -> None:
    assert crd_problems(upstream, spec)
    assert meshgen_problems(spec) == [], (
        "the schema now expresses this rule: move it to INVALID_SPECS"
    )


def test_crd_oracle_is_not_vacuous(upstream: Path) -> None:
    """The converted CRD schema must really constrain (guards the conversion)."""
    assert crd_problems(upstream, {"tracing": [{"randomSamplingPercentage": 101}]})
    assert crd_problems(upstream, {"metrics": [{"overrides": [{"disabled": None}]}]}) == []
