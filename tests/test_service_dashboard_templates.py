"""Service dashboards built once per kind of service and filled in equal those built one by one.

`service_dashboards` builds the dashboard of services whose series look alike once, with
stand-ins for the names (`render.dashboards._Template`), and fills each service's names
into a copy, and fills the analysis of its queries likewise (`_QueryTemplate`). These
tests hold every filled dashboard, its text, the data the checks get and the analysis of
its queries, to the one `build_dashboard` writes for that service alone (and to
`dashboard_queries` of that), over configs whose names and labels try to break the
filling (stand-ins as labels, datasources or names, names that need escaping, names long
enough to hash the uid).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen import api
from meshgen.analysis.dashboards import dashboard_queries, essentials
from meshgen.models import MeshConfig
from meshgen.render import dashboards
from meshgen.render.dashboards import build_dashboard, dashboard_json, service_dashboards
from tests.yaml_data import typed

GOLDEN = Path(__file__).parent / "golden"

ROOT = "istio-system"
#: Names that fill a template (DNS labels), and names that must not: stand-ins and other
#: marks, characters JSON or PromQL escape, upper case, non-ASCII, a trailing dash.
NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,40})?", fullmatch=True),
    st.sampled_from(
        ["_n_", "a_s_b", "_u_", "_nn_", 'q"uote', "back\\slash", "UPPER", "caf\u00e9", "end-"]
    ),
    # DNS labels spelled like the PromQL analysis's own placeholders and markers.
    st.sampled_from(["grafanavar0x", "meshgenliteral", "meshgenliteral0-grafanavar1x"]),
)
#: Labels a Telemetry adds: ordinary ones, and ones spelled like the stand-ins.
LABELS = st.sampled_from(
    ["model", "tier", "_n_", "x_s_y", "_u_", "_sss_", "_n-n_", "n", "meshgenliteral"]
)
METRICS = ["REQUEST_COUNT", "REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE", "ALL_METRICS"]


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"match": {"metric": draw(st.sampled_from(METRICS))}}
    if draw(st.booleans()):
        out["match"]["mode"] = draw(st.sampled_from(["CLIENT_AND_SERVER", "SERVER", "CLIENT"]))
    choice = draw(st.sampled_from(["disable", "add", "remove"]))
    if choice == "disable":
        out["disabled"] = draw(st.booleans())
    elif choice == "add":
        out["tagOverrides"] = {draw(LABELS): {"value": "request.host"}}
    else:
        tag = draw(st.sampled_from(["response_code", "destination_workload", "reporter"]))
        out["tagOverrides"] = {tag: {"operation": "REMOVE"}}
    return out


@st.composite
def configs(draw: st.DrawFn) -> MeshConfig:
    namespaces = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    services = []
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    for name in names:
        service: dict[str, Any] = {
            "name": name,
            "namespace": draw(st.sampled_from(namespaces)),
            "chart": "repo/chart",
            "version": "1.0.0",
        }
        if draw(st.booleans()):
            service["app"] = draw(st.sampled_from(["api", "web"]))
        services.append(service)
    resources = []
    for index in range(draw(st.integers(0, 4))):
        resource: dict[str, Any] = {
            "name": f"t{index}",
            "metrics": [{"overrides": draw(st.lists(overrides(), max_size=3))}],
        }
        namespace = draw(st.none() | st.sampled_from(namespaces))
        if namespace is not None:
            resource["namespace"] = namespace
            if draw(st.booleans()):
                resource["selector"] = {"matchLabels": {"app": draw(st.sampled_from(["api"]))}}
        resources.append(resource)
    datasource = draw(
        st.sampled_from([{"name": "Metrics", "uid": "metrics"}, {"name": "_n_", "uid": "_u_"}])
    )
    return MeshConfig.model_validate(
        {
            "istio": {"version": "1.30.3", "namespace": ROOT},
            "namespaces": [
                {"name": ns, "injection": draw(st.sampled_from(["enabled", "disabled"]))}
                for ns in namespaces
            ],
            "telemetry": {"resources": resources},
            "monitoring": {
                "prometheus": {"chartVersion": "29.27.0"},
                "grafana": {
                    "chartVersion": "12.11.1",
                    "adminSecret": {"name": "grafana-admin"},
                    "datasource": datasource,
                },
            },
            "services": services,
        }
    )


def _assert_built_one_by_one(config: MeshConfig) -> None:
    boards = service_dashboards(config)
    assert list(boards) == [s.name for s in config.services]
    for service in config.services:
        data = build_dashboard(config, service)
        board = boards[service.name]
        assert board.text == dashboard_json(data), service.name
        assert typed(board.checked) == typed(essentials(data)), service.name
        if board.queries is not None:
            assert board.queries == tuple(dashboard_queries(essentials(data))), service.name


@settings(max_examples=200, deadline=None)
@given(configs())
def test_filled_dashboards_equal_dashboards_built_alone(config: MeshConfig) -> None:
    _assert_built_one_by_one(config)


@pytest.mark.parametrize(
    "config", sorted(GOLDEN.glob("*/meshgen.yaml")), ids=lambda p: p.parent.name
)
def test_golden_configs_dashboards_equal_those_built_alone(config: Path) -> None:
    loaded = api.load_project(config).loaded.config
    assert loaded is not None
    _assert_built_one_by_one(loaded)


def _counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    real = dashboards._build

    def counted(inputs: Any, name: str, namespace: str, uid: str) -> dict[str, Any]:
        built.append(name)
        return real(inputs, name, namespace, uid)

    monkeypatch.setattr(dashboards, "_build", counted)
    return built


def _alike(count: int, label: str = "model", datasource: str = "Metrics") -> MeshConfig:
    return MeshConfig.model_validate(
        {
            "istio": {"version": "1.30.3"},
            "namespaces": [{"name": "shop"}],
            "telemetry": {
                "resources": [
                    {
                        "name": "mesh",
                        "metrics": [
                            {
                                "overrides": [
                                    {
                                        "match": {"metric": "REQUEST_COUNT"},
                                        "tagOverrides": {label: {"value": "request.host"}},
                                    }
                                ]
                            }
                        ],
                    }
                ]
            },
            "monitoring": {
                "prometheus": {"chartVersion": "29.27.0"},
                "grafana": {
                    "chartVersion": "12.11.1",
                    "adminSecret": {"name": "grafana-admin"},
                    "datasource": {"name": datasource, "uid": "metrics"},
                },
            },
            "services": [
                {"name": f"svc-{i}", "namespace": "shop", "chart": "repo/c", "version": "1.0.0"}
                for i in range(count)
            ],
        }
    )


def test_services_alike_share_one_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty services configured alike: one build with stand-ins, one to check it."""
    built = _counting_builds(monkeypatch)
    config = _alike(20)
    boards = service_dashboards(config)
    assert built == ["_n_", "_n-n_"]
    assert '"title": "svc-7 (meshgen)"' in boards["svc-7"].text
    assert 'destination_workload=\\"svc-7\\"' in boards["svc-7"].text
    monkeypatch.undo()
    queries = boards["svc-7"].queries
    alone = build_dashboard(config, config.services[7])
    assert queries == tuple(dashboard_queries(essentials(alone)))
    values = {m.value for q in queries for s in q.query.selectors for m in s.matchers}
    assert {"svc-7", "shop"} <= values


@pytest.mark.parametrize(("label", "datasource"), [("_n_", "Metrics"), ("model", "x_s_y")])
def test_a_stand_in_spelled_in_the_config_builds_each_alone(
    monkeypatch: pytest.MonkeyPatch, label: str, datasource: str
) -> None:
    """A label or datasource spelled like a stand-in: the template is refused, not used."""
    built = _counting_builds(monkeypatch)
    config = _alike(3, label, datasource)
    boards = service_dashboards(config)
    assert built == ["_n_", "_n-n_", "svc-0", "svc-1", "svc-2"]
    monkeypatch.undo()
    _assert_built_one_by_one(config)
    assert boards["svc-1"].text == dashboard_json(build_dashboard(config, config.services[1]))


def test_queries_that_do_not_fill_in_as_analysed_are_not_carried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The queries' analysis is carried only if, filled with the check stand-ins, it equals
    the check build's own: an analysis that read a name other than as a matcher value
    (simulated here) leaves each dashboard's queries to the checks, the text still filled."""
    real = dashboards.dashboard_queries

    def name_sensitive(data: Any) -> Any:
        found = list(real(data))
        return found[1:] if "_n-n_" in str(data) else found

    monkeypatch.setattr(dashboards, "dashboard_queries", name_sensitive)
    built = _counting_builds(monkeypatch)
    config = _alike(3)
    boards = service_dashboards(config)
    assert built == ["_n_", "_n-n_"]
    assert all(board.queries is None for board in boards.values())
    monkeypatch.undo()
    _assert_built_one_by_one(config)


@pytest.mark.parametrize(
    ("name", "namespace", "label"),
    [
        ("grafanavar0x", "shop", "meshgenliteral"),
        ("meshgenliteral-grafanavar0x", "shop", "model"),
        ("grafanavar0x", "meshgenliteral", "model"),
    ],
)
def test_names_spelled_like_the_analysis_placeholders_carry_their_own_analysis(
    name: str, namespace: str, label: str
) -> None:
    """Found by review: the direct analysis once read `grafanavar0x` as a variable."""
    config = _alike(2, label)
    data = config.model_dump(by_alias=True, exclude_none=True)
    data["namespaces"] = [{"name": namespace}]
    data["services"][0].update(name=name, namespace=namespace)
    data["services"][1]["namespace"] = namespace
    config = MeshConfig.model_validate(data)
    boards = service_dashboards(config)
    assert boards[name].queries is not None
    _assert_built_one_by_one(config)


def _planned(expression: str, title: str = "t", variable: bool = False) -> Any:
    from meshgen.analysis.dashboards import DashboardQuery
    from meshgen.analysis.promql import analyze, analyze_variable_query

    query = (analyze_variable_query if variable else analyze)(expression)
    return dashboards._QueryTemplate.of((DashboardQuery(title, expression, variable, query),))


@pytest.mark.parametrize(
    "expression",
    [
        "sum by (_n_) (rate(m[5m]))",  # a grouping label
        "_n__total",  # a metric name
        'm{_n_="x"}',  # a matcher's label
        "sum(rate(m[5m])",  # an error
    ],
)
def test_a_stand_in_outside_a_matcher_value_is_not_planned(expression: str) -> None:
    assert _planned(expression) is None


def test_a_plan_fills_titles_expressions_and_matcher_values() -> None:
    from meshgen.analysis.promql import analyze_variable_query

    plan = _planned('label_values(m{w="_n_",ns="_s_"}, l)', title="l_n_", variable=True)
    assert plan is not None
    (query,) = plan.fill(dashboards._text_filler({"_n_": "svc", "_s_": "shop", "_u_": "u"}))
    assert query.title == "lsvc"
    assert query.variable
    assert query.expression == 'label_values(m{w="svc",ns="shop"}, l)'
    assert query.query == analyze_variable_query('label_values(m{w="svc",ns="shop"}, l)')


def _findings(path: Path, *, carried: bool, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with monkeypatch.context() as patch:
        if not carried:
            patch.setattr(dashboards._QueryTemplate, "of", classmethod(lambda cls, items: None))
        project = api.load_project(path)
        boards = [board for file in project.files for _, board in file.dashboards]
        assert all((board.queries is not None) == carried for board in boards)
        return [d.format_text() for d in api.validate_project(project)]


def _stripped() -> dict[str, Any]:
    """Two services alike, but a Telemetry of one removes the labels the other's panels read.

    The other's dashboard reads `destination_workload` and `model` pinned to itself: G111
    must see that the Telemetry does not reach it, through the analysis of its queries.
    """
    data = _alike(2).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["services"][1]["app"] = "other"
    overrides = data["telemetry"]["resources"][0]["metrics"][0]["overrides"]
    overrides.append({"match": {"metric": "REQUEST_SIZE"}, "disabled": True})
    removed = {"operation": "REMOVE"}
    data["telemetry"]["resources"].append(
        {
            "name": "strip",
            "namespace": "shop",
            "selector": {"matchLabels": {"app": "other"}},
            "metrics": [
                {
                    "providers": [{"name": "prometheus"}],
                    "overrides": [
                        {
                            "match": {"metric": "REQUEST_COUNT"},
                            "tagOverrides": {"destination_workload": removed, "model": removed},
                        }
                    ],
                }
            ],
        }
    )
    return data


@pytest.mark.parametrize(
    "config",
    [*sorted(GOLDEN.glob("*/meshgen.yaml")), "stripped"],
    ids=lambda p: p if isinstance(p, str) else p.parent.name,
)
def test_carried_queries_give_the_findings_an_analysis_of_each_dashboard_gives(
    config: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check, on the carried analysis and with each dashboard analysed on its own."""
    if config == "stripped":
        config = tmp_path / "meshgen.yaml"
        config.write_text(json.dumps(_stripped()))  # JSON is YAML
    assert isinstance(config, Path)
    carried = _findings(config, carried=True, monkeypatch=monkeypatch)
    alone = _findings(config, carried=False, monkeypatch=monkeypatch)
    assert carried == alone
    if "stripped" in str(config):
        assert any("G111" in line for line in carried)  # the dashboards are judged at all
