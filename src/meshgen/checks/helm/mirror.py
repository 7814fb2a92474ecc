"""H123, H124: charts of local-folder repositories (air-gapped mirrors).

A chart repository may be a local folder holding the charts unpacked under their names
(`helm pull REPO/CHART --version V --untar -d FOLDER`). meshgen then renders the release's
`chart:` as `<folder>/<chart>` with no `version:` (helm ignores a version for a chart
folder), so the folder is the pin: these checks read each such chart's `Chart.yaml` and
hold it to the version the config pins. Only a few small files are read, no helm is run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Diagnostic, Severity
from meshgen.load import files, yaml_reader
from meshgen.models import MeshConfig
from meshgen.models.base import is_local_repository
from meshgen.records import record
from meshgen.source import KeyPath


@record
class Mirrored:
    """A chart the config takes from a local-folder repository."""

    chart: str
    version: str | None
    folder: Path
    #: Where the repository is set (or, for a default, the section).
    at: KeyPath
    version_at: KeyPath


def mirrored_charts(config: MeshConfig, base: Path) -> Iterator[Mirrored]:
    """Every chart of a local-folder repository, with the version the config pins."""

    def folder(url: str, chart: str) -> Path:
        return Path(os.path.normpath(base / url / chart))

    istio = config.istio
    if is_local_repository(istio.repository):
        for chart in ("base", "istiod"):
            yield Mirrored(
                chart,
                istio.version,
                folder(istio.repository, chart),
                ("istio", "repository"),
                ("istio", "version"),
            )
    for name in ("prometheus", "grafana"):
        section = getattr(config.monitoring, name)
        if section is not None and is_local_repository(section.repository):
            yield Mirrored(
                name,
                section.chart_version,
                folder(section.repository, name),
                ("monitoring", name, "repository"),
                ("monitoring", name, "chartVersion"),
            )
    stack = config.monitoring.kube_prometheus_stack
    if config.monitoring.operator and stack is not None and is_local_repository(stack.repository):
        yield Mirrored(
            "kube-prometheus-stack",
            stack.chart_version,
            folder(stack.repository, "kube-prometheus-stack"),
            ("monitoring", "kubePrometheusStack", "repository"),
            ("monitoring", "kubePrometheusStack", "chartVersion"),
        )
    for i, svc in enumerate(config.services):
        if svc.repository is not None and svc.repository.local:
            yield Mirrored(
                svc.chart_name,
                svc.version,
                folder(svc.repository.url, svc.chart_name),
                ("services", i, "repository", "url"),
                ("services", i, "version") if svc.version else ("services", i, "chart"),
            )


def _base(ctx: CheckContext) -> Path:
    return ctx.memo.get("config_dir") or Path(ctx.source.file).absolute().parent


def _chart_version(folder: Path) -> tuple[str | None, str | None]:
    """(version of folder/Chart.yaml, why it could not be read)."""
    try:  # bounded, and a FIFO is refused, never waited on
        text = files.read_regular_text(folder / "Chart.yaml", files.MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None, "missing"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    docs = yaml_reader.load_all_data(text, str(folder / "Chart.yaml"))
    if isinstance(docs, Diagnostic):  # a broken Chart.yaml is a finding, not a crash
        where = docs.span
        return None, f"is not valid YAML ({docs.code} at {where.line}:{where.col}: {docs.message})"
    data = docs[0] if docs and isinstance(docs[0], dict) else {}
    version = data.get("version")
    return (str(version), None) if version is not None else (None, "has no version")


@check("H123", "mirrored-chart-missing", Severity.ERROR)
def mirrored_chart_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A local-folder chart repository lacks the chart (`<folder>/<chart>/Chart.yaml`).

    Why: with `repository: ./mirror` the release's chart is `./mirror/<chart>`; helmfile
    fails on a missing folder and deploys a folder without `Chart.yaml` as raw manifests.

    Example: `istio: {repository: ./mirror}` with no `mirror/istiod/Chart.yaml`.

    Fix: unpack the chart there: `helm pull istio/istiod --version 1.30.3 --untar -d mirror/`.
    """
    cfg = ctx.config
    assert cfg is not None
    for chart in mirrored_charts(cfg, _base(ctx)):
        _, why = _chart_version(chart.folder)
        if why is not None and why != "has no version":
            yield Finding(
                f"chart {chart.chart} of the local repository: {chart.folder}/Chart.yaml {why} "
                f"(helm pull --untar the chart into {chart.folder.parent})",
                at=chart.at,
            )


@check("H124", "mirrored-chart-version", Severity.ERROR)
def mirrored_chart_version(ctx: CheckContext) -> Iterator[Finding]:
    """A chart in a local-folder repository is not the version the config pins.

    Why: helm ignores `--version` for a chart folder, so meshgen renders no `version:` for
    it and the folder's chart is what deploys; the config's version (`istio.version`,
    `chartVersion`, a service's `version`) is also what meshgen's knowledge of the chart
    (its values, its Services) is chosen by.

    Example: `istio: {version: 1.30.3, repository: ./mirror}` with `mirror/istiod` 1.29.2.

    Fix: pull the pinned version into the folder, or pin the version the folder holds.
    """
    cfg = ctx.config
    assert cfg is not None
    for chart in mirrored_charts(cfg, _base(ctx)):
        found, why = _chart_version(chart.folder)
        if why is None and chart.version is not None and found != chart.version:
            yield Finding(
                f"{chart.folder}/Chart.yaml is {chart.chart} {found}, the config pins "
                f"{chart.version}",
                at=chart.version_at,
            )
