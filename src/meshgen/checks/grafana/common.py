"""Shared helpers of the G checks: the Grafana values, provisioned datasources, positions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from meshgen.analysis.dashboards import DashboardQuery, dashboard_queries
from meshgen.checks.context import CheckContext
from meshgen.load.documents import DashboardDoc, ValuesDoc
from meshgen.records import record
from meshgen.render.datasource import provisioning_read
from meshgen.render.prometheus import unescape_tpl
from meshgen.source import KeyPath, Span

T = TypeVar("T")

PROVIDERS_KEY = "dashboardproviders.yaml"
#: Datasource references Grafana resolves itself.
BUILTIN_DATASOURCES = frozenset(
    {"-- Mixed --", "-- Grafana --", "-- Dashboard --", "grafana", "dashboard", "default"}
)


@record(slots=True)
class ProvisionedDatasource:
    """A datasource the rendered Grafana values provision, as the checks read it."""

    name: str
    uid: str | None
    type: str | None
    url: str | None
    #: Key path of the entry in the Grafana values.
    path: KeyPath


def grafana_values(ctx: CheckContext) -> ValuesDoc | None:
    """The Grafana chart values (rendered from a config, or a linted values file)."""
    return next((v for v in ctx.values if v.chart == "grafana"), None)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def provisioned_datasources(values: ValuesDoc) -> list[ProvisionedDatasource] | None:
    """Datasources the values provision; None when others may come from elsewhere."""
    if mapping(mapping(values.data.get("sidecar")).get("datasources")).get("enabled"):
        return None
    out: list[ProvisionedDatasource] = []
    for file, content in mapping(values.data.get("datasources")).items():
        entries = mapping(content).get("datasources")
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                continue
            out.append(
                ProvisionedDatasource(
                    name=entry["name"],
                    uid=_text(entry.get("uid")),
                    type=_text(entry.get("type")),
                    url=_text(entry.get("url")),
                    path=("datasources", file, "datasources", index),
                )
            )
    return out


def datasource_names(datasources: list[ProvisionedDatasource]) -> set[str]:
    """Every name or uid a dashboard may use to reference one of them.

    As Grafana sees them: the chart passes datasources through `tpl`, which turns
    meshgen's escaped `{{` back into `{{`, and Grafana's provisioning reads `$$` as `$`.
    """
    names = {d.name for d in datasources} | {d.uid for d in datasources if d.uid}
    return {provisioning_read(unescape_tpl(name)) for name in names}


def dashboard_entries(values: ValuesDoc) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(provider, dashboard name, entry) of `dashboards.<provider>.<name>`."""
    for provider, entries in mapping(values.data.get("dashboards")).items():
        for name, entry in mapping(entries).items():
            yield str(provider), str(name), mapping(entry)


def declared_dashboard(ctx: CheckContext, provider: str, name: str) -> KeyPath | None:
    """Config path of the dashboard meshgen rendered as `dashboards.<provider>.<name>`."""
    grafana = ctx.config.monitoring.grafana if ctx.config else None
    for index, dash in enumerate(grafana.dashboards if grafana else ()):
        if dash.folder == provider and dash.name == name:
            return ("monitoring", "grafana", "dashboards", index)
    return None


def entry_span(ctx: CheckContext, values: ValuesDoc, provider: str, name: str, *key: str) -> Span:
    """Where a dashboard entry (or a key in it) was written.

    The config entry when meshgen rendered it from `monitoring.grafana.dashboards`, else
    the values line (a pass-through key or a linted values file).
    """
    path = ("dashboards", provider, name, *key)
    declared = declared_dashboard(ctx, provider, name)
    user = ctx.config is not None and ctx.source.has(("monitoring", "grafana", "values", *path))
    if declared is not None and not user:
        return ctx.at(declared)
    return values.locate(path)


def dashboard_label(doc: DashboardDoc) -> str:
    if doc.gnet_id is not None:
        return f"dashboard {doc.name!r} (grafana.com {doc.gnet_id})"
    return f"dashboard {doc.name!r}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def queries_of(ctx: CheckContext, doc: DashboardDoc) -> tuple[DashboardQuery, ...]:
    """`dashboard_queries` of a dashboard, extracted once per run and shared by the checks.

    A generated dashboard may come with them (`DashboardDoc.queries`): its template's
    analysis with its names filled in (`render.dashboards._QueryTemplate`), which equals
    an analysis of its own (proven per template with other names, tested over many).
    """
    if doc.queries is not None:
        return doc.queries
    if doc.data is None:
        return ()
    data = doc.data
    return per_document(ctx, "grafana_model.queries", doc, lambda: tuple(dashboard_queries(data)))


def per_document(ctx: CheckContext, key: str, doc: DashboardDoc, compute: Callable[[], T]) -> T:
    """`compute()` for `doc`, remembered in `ctx` under `key`: once per run and document."""
    memo: dict[int, tuple[DashboardDoc, T]] = ctx.memo.setdefault(key, {})
    entry = memo.get(id(doc))
    # The document is kept with its result, so its id cannot be reused by another one.
    if entry is None or entry[0] is not doc:
        entry = memo[id(doc)] = (doc, compute())
    return entry[1]

