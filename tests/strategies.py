"""Hypothesis strategies for valid meshgen configs (plain data, as YAML would give)."""

from __future__ import annotations

import typing
from typing import Any

from hypothesis import strategies as st

from meshgen.models.telemetry import IstioMetric, WorkloadMode

METRICS = list(typing.get_args(IstioMetric))
MODES = list(typing.get_args(WorkloadMode))

dns_label = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6})?", fullmatch=True)
label_value = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,20}[A-Za-z0-9])?", fullmatch=True)
tag_name = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
#: Free text, including characters that are YAML or template syntax elsewhere.
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
    max_size=30,
) | st.sampled_from(
    ["{{ x }}", "{% if %}", "a: b", "# c", "'q'", '"q"', "---", "...", "yes", "0o17", "1:20"]
)


@st.composite
def telemetry_resources(draw: st.DrawFn, namespaces: list[str]) -> list[dict[str, Any]]:
    out = []
    for index in range(draw(st.integers(0, 3))):
        res: dict[str, Any] = {"name": f"t{index}-{draw(dns_label)}"}
        if namespaces and draw(st.booleans()):
            res["namespace"] = draw(st.sampled_from(namespaces))
            if draw(st.booleans()):
                res["selector"] = {"matchLabels": {"app": draw(label_value)}}
        overrides = []
        for _ in range(draw(st.integers(0, 3))):
            override: dict[str, Any] = {"match": {"metric": draw(st.sampled_from(METRICS))}}
            if draw(st.booleans()):
                override["match"]["mode"] = draw(st.sampled_from(MODES))
            if draw(st.booleans()):
                override["disabled"] = draw(st.booleans())
            else:
                override["tagOverrides"] = {
                    draw(tag_name): (
                        {"operation": "REMOVE"}
                        if draw(st.booleans())
                        else {"value": draw(free_text)}
                    )
                }
            overrides.append(override)
        res["metrics"] = [{"providers": [{"name": "prometheus"}], "overrides": overrides}]
        out.append(res)
    return out


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    namespaces = draw(st.lists(dns_label, min_size=0, max_size=3, unique=True))
    config: dict[str, Any] = {
        "istio": {
            "version": draw(st.sampled_from(["1.28.10", "1.29.6", "1.30.3"])),
            "accessLogging": {
                "enabled": draw(st.booleans()),
                "encoding": draw(st.sampled_from(["TEXT", "JSON"])),
            },
            "tracing": {
                "enabled": draw(st.booleans()),
                "samplingPercentage": draw(st.floats(0, 100)),
            },
            "values": {"podAnnotations": {draw(tag_name): draw(free_text)}},
        },
        "namespaces": [
            {
                "name": ns,
                "injection": draw(st.sampled_from(["enabled", "disabled"])),
                "labels": {"team": draw(label_value)},
            }
            for ns in namespaces
        ],
        "telemetry": {"resources": draw(telemetry_resources(namespaces))},
        "monitoring": {
            "prometheus": {"chartVersion": "29.27.0", "scrapeInterval": "15s"},
            "grafana": {
                "chartVersion": "12.11.1",
                "dashboards": [
                    {"name": "istio-mesh", "gnetId": 7639, "revision": draw(st.integers(1, 400))}
                ],
            },
        },
        "services": [],
    }
    if draw(st.booleans()):
        # An external datasource, its literal header value free text (`$`, `{{`, quotes).
        config["monitoring"]["grafana"]["datasource"] = {
            "kind": draw(st.sampled_from(["prometheus", "thanos", "mimir", "victoriametrics"])),
            "url": f"https://{draw(dns_label)}.example.com/prometheus",
            "headers": [
                {"name": "X-Scope-OrgID", "value": draw(free_text.filter(bool))},
                {"name": "Authorization", "secret": {"name": draw(dns_label), "key": "k"}},
            ],
        }
    if draw(st.booleans()):
        config["telemetry"]["histogramBuckets"] = {
            "istiocustom": sorted(
                set(draw(st.lists(st.integers(1, 100000), min_size=1, max_size=8)))
            )
        }
    for index, ns in enumerate(namespaces):
        config["services"].append(
            {
                "name": f"svc{index}",
                "namespace": ns,
                "chart": "repo/chart",
                "version": "1.0.0",
                "port": draw(st.integers(1, 65535)),
                "values": {"note": draw(free_text)},
                "trafficTest": {"path": "/" + draw(dns_label), "qps": draw(st.integers(1, 100))},
            }
        )
    return config
