"""The Grafana datasource of an external Prometheus-compatible query endpoint.

`monitoring.grafana.datasource.url` points Grafana at Thanos Query, Mimir, VictoriaMetrics
or another Prometheus instead of the rendered Prometheus Service. Grafana's Prometheus
datasource takes the flavour in `jsonData.prometheusType` (Prometheus, Cortex, Mimir,
Thanos; grafana/grafana `PromApplication`) and its version in `prometheusVersion`; for
VictoriaMetrics its docs say: type Prometheus, version at least 2.24
(https://docs.victoriametrics.com/victoriametrics/integrations/grafana/).

Headers go in `jsonData.httpHeaderName<n>` with the value in
`secureJsonData.httpHeaderValue<n>`. A value from a Secret is never written: the chart
sets an environment variable from the Secret (`envValueFrom`) and the provisioning file
names it (`${VAR}`, which Grafana expands in provisioning files:
https://grafana.com/docs/grafana/latest/administration/provisioning/#use-environment-variables).
A literal `$` must then be written `$$` (Grafana's pkg/services/provisioning/values splits
a value on `$$`, expands variables in each part and joins them with `$`).
"""

from __future__ import annotations

from typing import Any

from meshgen.models.monitoring import Datasource
from meshgen.render.prometheus import escape_tpl

#: Grafana's `prometheusType` per kind.
PROMETHEUS_TYPE = {
    "prometheus": "Prometheus",
    "thanos": "Thanos",
    "mimir": "Mimir",
    "victoriametrics": "Prometheus",
}
#: `prometheusVersion` when the config gives none: VictoriaMetrics answers the label
#: values API of Prometheus 2.24 (its Grafana integration docs).
DEFAULT_VERSION = {"victoriametrics": "2.24.0"}
#: Prefix of the environment variables that carry Secret-held header values.
ENV_PREFIX = "MESHGEN_DATASOURCE_HEADER_"


def header_env(index: int) -> str:
    """The environment variable holding header number `index` (1-based)."""
    return f"{ENV_PREFIX}{index}"


def provisioning_literal(text: str) -> str:
    """`text` as Grafana's provisioning reads it back: `$` starts a variable, `$$` is `$`."""
    return text.replace("$", "$$")


def provisioning_read(text: str) -> str:
    """What Grafana's provisioning makes of a written value: `$$` is `$`.

    A `$VAR` is expanded from Grafana's environment, which meshgen cannot see: it is
    left as written (meshgen writes none: `provisioning_literal`).
    """
    return "$".join(text.split("$$"))


def external_fields(source: Datasource) -> tuple[dict[str, Any], dict[str, str]]:
    """(jsonData additions, secureJsonData) of an external datasource."""
    json_data: dict[str, Any] = {"prometheusType": PROMETHEUS_TYPE[source.kind]}
    version = source.version or DEFAULT_VERSION.get(source.kind)
    if version is not None:
        json_data["prometheusVersion"] = version
    secure: dict[str, str] = {}
    for index, header in enumerate(source.headers, start=1):
        json_data[f"httpHeaderName{index}"] = header.name
        if header.secret is not None:
            secure[f"httpHeaderValue{index}"] = "${" + header_env(index) + "}"
        else:
            assert header.value is not None
            secure[f"httpHeaderValue{index}"] = provisioning_literal(header.value)
    return json_data, secure


def env_value_from(source: Datasource) -> dict[str, Any]:
    """The chart's `envValueFrom` entries that fill the header variables from Secrets."""
    out: dict[str, Any] = {}
    for index, header in enumerate(source.headers, start=1):
        if header.secret is not None:
            out[header_env(index)] = {
                "secretKeyRef": {
                    "name": escape_tpl(header.secret.name),
                    "key": escape_tpl(header.secret.key),
                }
            }
    return out
