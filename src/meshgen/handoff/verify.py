"""`meshgen verify`: check a live cluster against what the config renders, through kubectl.

What is expected comes from the loaded project (config + rendered tree in memory); what is
there comes from `kubectl get ... -o json` list calls (a list of a missing object is empty
rather than an error, so absence is a FAIL, not a crash). Each check yields one or more
`CheckResult`s with, on failure, what to do about it.

Grafana dashboards: the grafana chart provisions `dashboardProviders` and the download
script for grafana.com dashboards into its main ConfigMap (`<fullname>`, keys
`dashboardproviders.yaml` and `download_dashboards.sh`), inline `json` dashboards into
`<fullname>-dashboards-<provider>` ConfigMaps, and runs the download in the pod's
`download-dashboards` init container (reference helmfile-grafana-prometheus 2.3). Those are
what is looked for; whether Grafana then loaded the files is not asked of Grafana itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, field
from typing import Any

from meshgen.diagnostics import Diagnostic
from meshgen.handoff import runner
from meshgen.load import yaml_reader
from meshgen.models import MeshConfig, RevisionInjection, Service
from meshgen.records import record
from meshgen.render import naming
from meshgen.render.files import Tree

INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"
DATAPLANE_LABEL = "istio.io/dataplane-mode"
POD_INJECT_LABEL = "sidecar.istio.io/inject"
PROXY_NAME = "istio-proxy"
DOWNLOAD_INIT_CONTAINER = "download-dashboards"


@record
class CheckResult:
    """One line of the verify table."""

    check: str
    ok: bool
    detail: str
    fix: str = ""


@record(frozen=False)
class Cluster:
    """kubectl list calls, each made once per run."""

    context: str | None = None
    _cache: dict[tuple[str, ...], list[dict[str, Any]] | None] = field(default_factory=dict)

    def items(
        self, resource: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]] | None:
        """The objects of a list call; None when the API server lacks the resource type."""
        args = ["get", resource]
        if namespace:
            args += ["-n", namespace]
        if selector:
            args += ["-l", selector]
        key = tuple(args)
        if key not in self._cache:
            self._cache[key] = self._fetch(args)
        return self._cache[key]

    def _fetch(self, args: list[str]) -> list[dict[str, Any]] | None:
        result = runner.kubectl([*args, "-o", "json"], context=self.context, check=False)
        if result.returncode != 0:
            if "doesn't have a resource type" in result.stderr:
                return None
            runner.raise_for(result, context=self.context)
        try:
            data = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise runner.KubectlError(
                f"`{runner.format_command(runner.kubectl_argv(args, context=self.context))}` "
                f"printed no valid JSON: {exc}",
                result,
            ) from exc
        items = data.get("items") if isinstance(data, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _name(obj: dict[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels = obj.get("metadata", {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}


def _by_name(items: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    return next((i for i in items or () if _name(i) == name), None)


def _deployment(cluster: Cluster, namespace: str, name: str, what: str, fix: str) -> CheckResult:
    check = f"{what} available"
    found = _by_name(cluster.items("deployments", namespace), name)
    if found is None:
        return CheckResult(check, False, f"no Deployment {namespace}/{name}", fix)
    status = found.get("status") or {}
    wanted = (found.get("spec") or {}).get("replicas", 1)
    ready = int(status.get("readyReplicas") or 0)
    available = any(
        c.get("type") == "Available" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )
    detail = f"Deployment {namespace}/{name}: {ready}/{wanted} ready"
    if available and ready >= 1:
        return CheckResult(check, True, detail)
    return CheckResult(
        check,
        False,
        detail + ("" if available else ", not Available"),
        f"kubectl -n {namespace} describe deployment {name}; kubectl -n {namespace} get pods",
    )


def _istiod_name(config: MeshConfig) -> str:
    return f"istiod-{config.istio.revision}" if config.istio.revision else "istiod"


def check_istiod(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """The control plane Deployment is available."""
    yield _deployment(
        cluster,
        config.istio.namespace,
        _istiod_name(config),
        "istiod",
        "deploy the mesh tier: make deploy-services (meshgen apply --tier mesh)",
    )


def _conflicts(expected: dict[str, str], labels: dict[str, str]) -> list[str]:
    """Labels that fight the expected injection label (reference istio-telemetry 6.3)."""
    if expected.get(INJECTION_LABEL) == "disabled":
        return []
    if DATAPLANE_LABEL in expected:
        # Ambient: an injection label would give the pods sidecars as well.
        rivals: tuple[str, ...] = (INJECTION_LABEL,)
    elif INJECTION_LABEL in expected:
        rivals = (REVISION_LABEL, DATAPLANE_LABEL)
    else:
        # istio-injection, whatever its value, wins over istio.io/rev.
        rivals = (INJECTION_LABEL, DATAPLANE_LABEL)
    return [f"{k}={labels[k]}" for k in rivals if k in labels]


def check_namespaces(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Each configured namespace has its injection label and nothing conflicting."""
    tree = project.shown_output_dir
    fix = f"make enable-istio-injection (kubectl apply -f {tree}/{naming.NAMESPACES_DIR}/)"
    items = cluster.items("namespaces")
    for ns in config.namespaces:
        expected = ns.injection_labels()
        want = ", ".join(f"{k}={v}" for k, v in expected.items())
        check = f"namespace {ns.name} labels"
        found = _by_name(items, ns.name)
        if found is None:
            yield CheckResult(check, False, f"namespace {ns.name} does not exist", fix)
            continue
        labels = _labels(found)
        wrong = [
            f"{k}={labels.get(k, '<unset>')}" for k, v in expected.items() if labels.get(k) != v
        ]
        conflicts = _conflicts(expected, labels)
        if wrong:
            yield CheckResult(check, False, f"want {want}, found {', '.join(wrong)}", fix)
        elif conflicts:
            why = (
                "istio-injection takes precedence"
                if isinstance(ns.injection, RevisionInjection)
                else "only one injection label may be set"
            )
            yield CheckResult(
                check,
                False,
                f"{want} but also {', '.join(conflicts)} ({why})",
                f"kubectl label namespace {ns.name} "
                + " ".join(f"{c.split('=')[0]}-" for c in conflicts),
            )
        else:
            yield CheckResult(check, True, want)


def has_proxy(pod: dict[str, Any]) -> bool:
    """A classic `istio-proxy` container, or a native sidecar (restartPolicy Always init)."""
    spec = pod.get("spec") or {}
    if any(c.get("name") == PROXY_NAME for c in spec.get("containers") or ()):
        return True
    return any(
        c.get("name") == PROXY_NAME and c.get("restartPolicy") == "Always"
        for c in spec.get("initContainers") or ()
    )


#: The service the Makefile's `restart-inference-balancer` target restarts (its BALANCER).
MAKE_BALANCER = "inference-balancer"


def _running(pods: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [p for p in pods or () if (p.get("status") or {}).get("phase") == "Running"]


def check_sidecars(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Every running pod of an injected namespace carries the Istio proxy."""
    for ns in config.namespaces:
        if not ns.injected:
            continue
        check = f"sidecars in {ns.name}"
        running = _running(cluster.items("pods", ns.name))
        opted_out = [p for p in running if _labels(p).get(POD_INJECT_LABEL) == "false"]
        candidates = [p for p in running if p not in opted_out]
        missing = sorted(_name(p) for p in candidates if not has_proxy(p))
        note = f" ({len(opted_out)} opted out with {POD_INJECT_LABEL}=false)" if opted_out else ""
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            restart = f"kubectl -n {ns.name} rollout restart deployment"
            # The Makefile's target restarts the balancer only (its BALANCER default).
            if any(s.name == MAKE_BALANCER and s.namespace == ns.name for s in config.services):
                restart = f"make restart-{MAKE_BALANCER} ({restart})"
            yield CheckResult(
                check,
                False,
                f"{len(missing)} of {len(candidates)} running pods without istio-proxy: {shown}",
                f"pods started before injection was enabled: {restart}",
            )
        else:
            yield CheckResult(
                check,
                True,
                f"{len(candidates)}/{len(candidates)} running pods have istio-proxy{note}",
            )


def check_services(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Each configured service has running pods (else the sidecar check proves nothing)."""
    for svc in config.services:
        wanted = service_selector(svc)
        label = selector_text(wanted)
        running = [
            p
            for p in _running(cluster.items("pods", svc.namespace))
            if wanted.items() <= _labels(p).items()
        ]
        check = f"{svc.name} pods running"
        if running:
            yield CheckResult(check, True, f"{len(running)} running pods labelled {label}")
        else:
            yield CheckResult(
                check,
                False,
                f"no running pod labelled {label} in {svc.namespace}",
                "make deploy-balancer (meshgen apply --tier app); "
                f"kubectl -n {svc.namespace} get pods",
            )


def service_selector(svc: Service) -> dict[str, str]:
    """The labels verify finds a service's pods by: `podLabels`, else `app` alone.

    `app` alone, not `version` too: pods of every version are the service's.
    """
    return dict(svc.pod_labels) if svc.pod_labels is not None else {"app": svc.app_label}


def selector_text(labels: dict[str, str]) -> str:
    """A kubectl `-l` selector for exactly these labels."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def rendered_telemetries(project: Tree) -> list[tuple[str, str, Any]]:
    """(namespace, name, spec) of each Telemetry in the rendered tree."""
    found = []
    for rendered in project.files:
        if not rendered.path.startswith(naming.TELEMETRY_DIR + "/"):
            continue
        for doc in rendered.documents:
            if isinstance(doc, dict) and doc.get("kind") == "Telemetry":
                meta = doc.get("metadata") or {}
                found.append((str(meta.get("namespace")), str(meta.get("name")), doc.get("spec")))
    return sorted(found, key=lambda t: (t[0], t[1]))


def check_telemetry(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """The Telemetry resources exist as rendered (name, namespace and spec)."""
    fix = "make deploy-services (meshgen apply --tier mesh)"
    for namespace, name, spec in rendered_telemetries(project):
        check = f"telemetry {namespace}/{name}"
        items = cluster.items("telemetries.telemetry.istio.io", namespace)
        if items is None:
            yield CheckResult(
                check, False, "the cluster has no Telemetry API (CRDs from istio-base)", fix
            )
            continue
        found = _by_name(items, name)
        if found is None:
            yield CheckResult(check, False, "not found", fix)
        elif found.get("spec") != spec:
            yield CheckResult(
                check, False, "present but its spec differs from the rendered one", fix
            )
        else:
            yield CheckResult(check, True, "present, spec as rendered")


def _chart_fullname(release: str, chart: str, override: object) -> str:
    """Helm's usual `<chart>.fullname`: override, else release when it contains the chart."""
    if isinstance(override, str) and override:
        return override[:63].rstrip("-")
    return (release if chart in release else f"{release}-{chart}")[:63].rstrip("-")


def _values(project: Tree, path: str) -> dict[str, Any]:
    for rendered in project.files:
        if rendered.path == path and rendered.documents and isinstance(rendered.documents[0], dict):
            return dict(rendered.documents[0])
    return {}


def _grafana_release(project: Tree, config: MeshConfig) -> tuple[str, dict[str, Any]]:
    """(release, values) of the Grafana: its own release, or kube-prometheus-stack's subchart."""
    stack = config.monitoring.kube_prometheus_stack
    if config.monitoring.operator and stack is not None:
        from meshgen.render import kube_prometheus_stack as kps_render

        section = _values(project, kps_render.VALUES).get("grafana")
        return stack.release, dict(section) if isinstance(section, dict) else {}
    grafana = config.monitoring.grafana
    return (grafana.release if grafana else ""), _values(project, naming.GRAFANA_VALUES)


def check_monitoring(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Prometheus server and Grafana Deployments are available.

    With kube-prometheus-stack: the Prometheus Operator's Deployment (it runs Prometheus
    itself as a StatefulSet) and the grafana subchart's Deployment.
    """
    namespace = config.monitoring.namespace
    fix = "make deploy-services (meshgen apply --tier monitoring)"
    prometheus = config.monitoring.prometheus
    stack = config.monitoring.kube_prometheus_stack
    if config.monitoring.operator and stack is not None:
        from meshgen.knowledge.kube_prometheus_stack import fullname
        from meshgen.render import kube_prometheus_stack as kps_render

        values = _values(project, kps_render.VALUES)
        operator = f"{fullname(stack.release, values)}-operator"
        yield _deployment(cluster, namespace, operator, "prometheus operator", fix)
        prometheus = None
    if prometheus is not None:
        # The chart names the server Deployment like its Service.
        name, server_namespace, _ = naming.prometheus_server(
            prometheus.release, namespace, _values(project, naming.PROMETHEUS_VALUES)
        )
        yield _deployment(cluster, server_namespace, name, "prometheus", fix)
    grafana = config.monitoring.grafana
    if grafana is not None:
        release, values = _grafana_release(project, config)
        name = _chart_fullname(release, "grafana", values.get("fullnameOverride"))
        yield _deployment(cluster, namespace, name, "grafana", fix)


@record
class _Download:
    provider: str
    name: str
    url: str
    path: str


def _dashboard_plan(
    values: dict[str, Any],
) -> tuple[dict[str, str], list[_Download], dict[str, list[str]]]:
    """(provider name -> path, downloads, provider -> inline dashboard names) from values."""
    providers: dict[str, str] = {}
    for file in (values.get("dashboardProviders") or {}).values():
        for prov in (file or {}).get("providers") or ():
            providers[str(prov.get("name"))] = str((prov.get("options") or {}).get("path", ""))
    downloads: list[_Download] = []
    inline: dict[str, list[str]] = {}
    for provider, boards in (values.get("dashboards") or {}).items():
        root = providers.get(provider) or naming.dashboard_provider_path(provider)
        for name, entry in (boards or {}).items():
            if not isinstance(entry, dict):
                continue
            if "gnetId" in entry:
                url = (
                    f"https://grafana.com/api/dashboards/{entry['gnetId']}/revisions/"
                    f"{entry.get('revision', 1)}/download"
                )
                downloads.append(_Download(provider, name, url, f"{root}/{name}.json"))
            elif "url" in entry:
                downloads.append(
                    _Download(provider, name, str(entry["url"]), f"{root}/{name}.json")
                )
            elif "json" in entry or "file" in entry:
                inline.setdefault(provider, []).append(name)
    return providers, downloads, inline


def check_dashboards(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """The Istio dashboards are provisioned the way the grafana chart does it."""
    grafana = config.monitoring.grafana
    if grafana is None:
        return
    release, values = _grafana_release(project, config)
    providers, downloads, inline = _dashboard_plan(values)
    if not providers and not inline:
        return
    namespace = config.monitoring.namespace
    fullname = _chart_fullname(release, "grafana", values.get("fullnameOverride"))
    selector = f"app.kubernetes.io/name=grafana,app.kubernetes.io/instance={release}"
    fix = "make deploy-services (meshgen apply --tier monitoring)"
    maps = cluster.items("configmaps", namespace, selector)
    main = _by_name(maps, fullname)
    data = (main or {}).get("data") or {}
    check = "grafana dashboard providers"
    if main is None:
        yield CheckResult(check, False, f"no ConfigMap {namespace}/{fullname}", fix)
    else:
        have: dict[str, str] = {}
        for key in values.get("dashboardProviders") or {}:
            read = yaml_reader.load_all_data(str(data.get(key, "")), f"{fullname}/{key}")
            doc = [] if isinstance(read, Diagnostic) else read  # garbled: a finding, no crash
            for prov in (doc[0] if doc and isinstance(doc[0], dict) else {}).get("providers") or ():
                if isinstance(prov, dict):
                    have[str(prov.get("name"))] = str((prov.get("options") or {}).get("path", ""))
        wrong = sorted(n for n, p in providers.items() if have.get(n) != p)
        if wrong:
            yield CheckResult(
                check, False, f"ConfigMap {fullname} lacks provider(s) {', '.join(wrong)}", fix
            )
        else:
            yield CheckResult(
                check, True, f"{', '.join(sorted(providers))} in ConfigMap {fullname}"
            )
    if downloads:
        yield from _check_downloads(cluster, namespace, selector, fullname, data, downloads, fix)
    for provider, names in sorted(inline.items()):
        cm_name = f"{fullname}-dashboards-{provider}"[:63]
        keys = ((_by_name(maps, cm_name) or {}).get("data") or {}).keys()
        lacking = sorted(n for n in names if f"{n}.json" not in keys)
        check = f"grafana dashboards ({provider})"
        if lacking:
            yield CheckResult(check, False, f"ConfigMap {cm_name} lacks {', '.join(lacking)}", fix)
        else:
            yield CheckResult(check, True, f"{', '.join(names)} in ConfigMap {cm_name}")


def _check_downloads(
    cluster: Cluster,
    namespace: str,
    selector: str,
    fullname: str,
    data: dict[str, Any],
    downloads: list[_Download],
    fix: str,
) -> Iterator[CheckResult]:
    script = str(data.get("download_dashboards.sh", ""))
    lacking = sorted(d.name for d in downloads if d.url not in script or d.path not in script)
    check = "grafana dashboard downloads"
    if lacking:
        yield CheckResult(
            check,
            False,
            f"download_dashboards.sh in ConfigMap {fullname} lacks {', '.join(lacking)}",
            fix,
        )
        return
    pods = cluster.items("pods", namespace, selector) or []
    failed = [f"{_name(p)} ({_download_state(p)})" for p in pods if _download_state(p) != "ok"]
    if not pods:
        yield CheckResult(check, False, f"no Grafana pod in {namespace}", fix)
    elif failed:
        yield CheckResult(
            check,
            False,
            f"init container {DOWNLOAD_INIT_CONTAINER} has not succeeded: {', '.join(failed)}",
            f"kubectl -n {namespace} logs {_name(pods[0])} -c {DOWNLOAD_INIT_CONTAINER} "
            "(the pod needs egress to grafana.com)",
        )
    else:
        yield CheckResult(
            check, True, f"{len(downloads)} dashboards fetched by {DOWNLOAD_INIT_CONTAINER}"
        )


def _download_state(pod: dict[str, Any]) -> str:
    """'ok' when the pod's download-dashboards init container exited 0, else what it did."""
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or ()
    status = next((s for s in statuses if s.get("name") == DOWNLOAD_INIT_CONTAINER), None)
    if status is None:
        return "not started"
    terminated = (status.get("state") or {}).get("terminated")
    if terminated is not None:
        code = terminated.get("exitCode")
        return "ok" if code == 0 else f"exit code {code}"
    last = (status.get("lastState") or {}).get("terminated") or {}
    waiting = ((status.get("state") or {}).get("waiting") or {}).get("reason", "running")
    return f"{waiting}, last exit code {last['exitCode']}" if "exitCode" in last else waiting


# --- ambient (istio.dataplane / namespaces[].dataplane: ambient) --------------------------

GATEWAY_CRD = "gateways.gateway.networking.k8s.io"
#: The DaemonSets of the ambient data plane (istio/cni and istio/ztunnel charts @1.30.3):
#: the cni chart names its `istio-cni-node`; ztunnel's is its `resourceName` value.
CNI_DAEMONSET = ("istio-cni-node", "istio-cni")
ZTUNNEL_RELEASE = "ztunnel"
#: Both charts schedule on `kubernetes.io/os: linux` nodes and tolerate every taint by
#: default, so "every node" is every Linux node.
OS_LABEL = "kubernetes.io/os"
#: istio-cni annotates each pod it has handed to ztunnel (istio.io ambient troubleshooting).
REDIRECTION_ANNOTATION = "ambient.istio.io/redirection"


def ztunnel_daemonset(config: MeshConfig) -> str:
    """The ztunnel DaemonSet's name: the chart's `resourceName` (flattened from `global:`)."""
    values = config.istio.ambient.ztunnel_values
    glob = values.get("global")
    name = values.get("resourceName")
    if not name and isinstance(glob, dict):
        name = glob.get("resourceName")
    return str(name) if name else "ztunnel"


def check_ambient(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Ambient meshes: Gateway API CRDs, istio-cni and ztunnel on every node, and more.

    Also: each waypoint Gateway programmed, and in each ambient namespace no pod with a
    stray sidecar (injected before the namespace went ambient) and every other pod handed
    to ztunnel by istio-cni (started before istio-cni ran, or left out).
    """
    if not config.ambient:
        return
    yield _gateway_crds(cluster, config)
    istio_ns = config.istio.namespace
    daemonsets = cluster.items("daemonsets", istio_ns)
    nodes = _linux_nodes(cluster.items("nodes"))
    for name, release in (CNI_DAEMONSET, (ztunnel_daemonset(config), ZTUNNEL_RELEASE)):
        yield _daemonset(daemonsets, istio_ns, name, release, nodes)
    yield from _waypoints(cluster, config)
    for ns in config.namespaces:
        if not ns.ambient:
            continue
        running = _running(cluster.items("pods", ns.name))
        # Opted out of ambient: waypoint and gateway pods (their templates label them so;
        # they run istio-proxy), or a pod given a sidecar on purpose.
        opted_out = [p for p in running if _labels(p).get(DATAPLANE_LABEL) == "none"]
        members = [p for p in running if p not in opted_out]
        stray = sorted(_name(p) for p in members if has_proxy(p))
        check = f"no sidecars in ambient {ns.name}"
        note = f" ({len(opted_out)} opted out with {DATAPLANE_LABEL}=none)" if opted_out else ""
        if stray:
            shown = ", ".join(stray[:5]) + (", ..." if len(stray) > 5 else "")
            yield CheckResult(
                check,
                False,
                f"{len(stray)} of {len(members)} running pods carry istio-proxy: {shown}{note}",
                f"pods injected before the namespace went ambient: kubectl -n {ns.name} "
                "rollout restart deployment",
            )
        else:
            yield CheckResult(
                check, True, f"{len(members)} running pods, none with a sidecar{note}"
            )
        yield _captured(ns.name, [p for p in members if not has_proxy(p)])


def _linux_nodes(items: list[dict[str, Any]] | None) -> list[str]:
    return sorted(_name(n) for n in items or () if _labels(n).get(OS_LABEL, "linux") == "linux")


def _captured(namespace: str, candidates: list[dict[str, Any]]) -> CheckResult:
    """Pods of an ambient namespace that istio-cni has not handed to ztunnel.

    `ambient.istio.io/redirection: disabled` is the user's opt-out (left out here).
    """

    def redirection(pod: dict[str, Any]) -> object:
        return ((pod.get("metadata") or {}).get("annotations") or {}).get(REDIRECTION_ANNOTATION)

    candidates = [p for p in candidates if redirection(p) != "disabled"]
    missing = sorted(_name(p) for p in candidates if redirection(p) != "enabled")
    check = f"ztunnel captures {namespace}"
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return CheckResult(
            check,
            False,
            f"{len(missing)} of {len(candidates)} running pods without "
            f"{REDIRECTION_ANNOTATION}=enabled: {shown}",
            f"pods started before istio-cni was ready: kubectl -n {namespace} rollout restart "
            "deployment (else see the istio-cni-node logs)",
        )
    return CheckResult(
        check,
        True,
        f"{len(candidates)}/{len(candidates)} running pods redirected to ztunnel",
    )


def _gateway_crds(cluster: Cluster, config: MeshConfig) -> CheckResult:
    gateway_api = config.istio.gateway_api
    crd = _by_name(cluster.items("customresourcedefinitions"), GATEWAY_CRD)
    fix = (
        f"kubectl apply --server-side -f {gateway_api.manifest_source}"
        if gateway_api.install == "prerequisite"
        else "make deploy-services (the istio-base presync hook applies them)"
    )
    if crd is None:
        return CheckResult("gateway API CRDs", False, f"no CRD {GATEWAY_CRD}", fix)
    annotations = (crd.get("metadata") or {}).get("annotations") or {}
    bundle = annotations.get("gateway.networking.k8s.io/bundle-version", "unknown version")
    if bundle != gateway_api.version:
        return CheckResult(
            "gateway API CRDs", False, f"{bundle} installed, {gateway_api.version} wanted", fix
        )
    return CheckResult("gateway API CRDs", True, f"{GATEWAY_CRD} {bundle}")


def _daemonset(
    items: list[dict[str, Any]] | None,
    namespace: str,
    name: str,
    release: str,
    nodes: list[str],
) -> CheckResult:
    check = f"{name} on every node"
    found = _by_name(items, name)
    if found is None:
        return CheckResult(
            check,
            False,
            f"no DaemonSet {namespace}/{name}",
            f"meshgen apply --tier mesh (release {release})",
        )
    status = found.get("status") or {}
    desired = int(status.get("desiredNumberScheduled") or 0)
    ready = int(status.get("numberReady") or 0)
    detail = f"DaemonSet {namespace}/{name}: {ready}/{desired} nodes ready"
    if nodes and desired < len(nodes):
        # Scheduled on fewer nodes than exist: ambient pods there are not captured.
        return CheckResult(
            check,
            False,
            f"{detail}, scheduled on {desired} of {len(nodes)} Linux nodes",
            f"kubectl -n {namespace} get daemonset {name} -o yaml (nodeSelector, "
            "tolerations, affinity)",
        )
    if desired > 0 and ready == desired:
        return CheckResult(check, True, detail)
    return CheckResult(
        check,
        False,
        detail,
        f"kubectl -n {namespace} describe daemonset {name}; kubectl -n {namespace} get pods",
    )


def _waypoints(cluster: Cluster, config: MeshConfig) -> Iterator[CheckResult]:
    from meshgen.render.ambient import waypoints

    for placed in waypoints(config):
        name, namespace = placed.waypoint.name, placed.namespace
        check = f"waypoint {namespace}/{name} programmed"
        found = _by_name(cluster.items("gateways.gateway.networking.k8s.io", namespace), name)
        if found is None:
            yield CheckResult(
                check, False, "no such Gateway", "meshgen apply --tier mesh (mesh-waypoints)"
            )
            continue
        conditions = (found.get("status") or {}).get("conditions") or ()
        programmed = next((c for c in conditions if c.get("type") == "Programmed"), None)
        if programmed is not None and programmed.get("status") == "True":
            yield CheckResult(check, True, "Programmed=True")
        else:
            why = (programmed or {}).get("message") or "no Programmed condition yet"
            yield CheckResult(
                check,
                False,
                f"not programmed: {why}",
                f"kubectl -n {namespace} describe gateway {name}; istioctl waypoint status",
            )


def check_gateways(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Each gateway's Deployment is available and its Service exists with the asked type."""
    from meshgen.render.gateways import workload_name

    fix = "make deploy-services (meshgen apply --tier mesh)"
    for gateway in config.gateways:
        name = workload_name(config, gateway)
        what = f"gateway {gateway.name}"
        yield _deployment(cluster, gateway.namespace, name, what, fix)
        if gateway.service_type == "None":
            continue
        check = f"{what} service"
        found = _by_name(cluster.items("services", gateway.namespace), name)
        if found is None:
            yield CheckResult(check, False, f"no Service {gateway.namespace}/{name}", fix)
            continue
        kind = (found.get("spec") or {}).get("type", "ClusterIP")
        if kind != gateway.service_type:
            yield CheckResult(
                check,
                False,
                f"Service {gateway.namespace}/{name} is {kind}, not {gateway.service_type}",
                fix,
            )
        else:
            yield CheckResult(check, True, f"Service {gateway.namespace}/{name} ({kind})")


def check_kiali(cluster: Cluster, project: Tree, config: MeshConfig) -> Iterator[CheckResult]:
    """Kiali's Deployment (named by the chart's `deployment.instance_name`) is available."""
    from meshgen.render.kiali import namespace

    kiali = config.monitoring.kiali
    if kiali is None:
        return
    deployment = kiali.values.get("deployment")
    instance = deployment.get("instance_name") if isinstance(deployment, dict) else None
    name = str(instance or "kiali")[:63]
    fix = "make deploy-services (meshgen apply --tier monitoring)"
    yield _deployment(cluster, namespace(config, kiali), name, "kiali", fix)


Check = Callable[[Cluster, Tree, MeshConfig], Iterator[CheckResult]]

CHECKS: tuple[Check, ...] = (
    check_istiod,
    check_namespaces,
    check_sidecars,
    check_services,
    check_telemetry,
    check_monitoring,
    check_dashboards,
    check_ambient,
    check_gateways,
    check_kiali,
)


def verify(
    project: Tree,
    config: MeshConfig,
    *,
    context: str | None = None,
    cluster: Cluster | None = None,
) -> list[CheckResult]:
    """Run every check against the cluster of `context` (kubectl's current one by default)."""
    cluster = cluster or Cluster(context=context)
    return [result for check in CHECKS for result in check(cluster, project, config)]


@record
class Query:
    """One list call verify makes: a resource, in a namespace, by a label selector."""

    resource: str
    namespace: str | None
    selector: str | None

    @property
    def labels(self) -> dict[str, str]:
        """The selector as a mapping (verify writes only `k=v` terms)."""
        pairs = (term.split("=", 1) for term in (self.selector or "").split(",") if term)
        return {k: v for k, v in pairs}


@record(frozen=False)
class _Recorder(Cluster):
    """A cluster that holds nothing and remembers what it was asked for."""

    asked: list[Query] = field(default_factory=list)

    def _fetch(self, args: list[str]) -> list[dict[str, Any]] | None:
        namespace = args[args.index("-n") + 1] if "-n" in args else None
        selector = args[args.index("-l") + 1] if "-l" in args else None
        self.asked.append(Query(args[1], namespace, selector))
        return []


def queries(project: Tree, config: MeshConfig) -> list[Query]:
    """What verify asks the cluster for, found with no cluster (what selectors must match).

    Its list calls, plus the pods of each service (listed by namespace, then picked by
    `service_selector`).
    """
    recorder = _Recorder()
    verify(project, config, cluster=recorder)
    picked = [
        Query("pods", svc.namespace, selector_text(service_selector(svc)))
        for svc in config.services
    ]
    return [*recorder.asked, *picked]


def format_text(results: list[CheckResult]) -> str:
    """The table of checks, the fixes of the failures, and a summary line."""
    width = max((len(r.check) for r in results), default=5)
    lines = [f"{'CHECK':{width}}  RESULT  DETAIL"]
    lines += [f"{r.check:{width}}  {'PASS' if r.ok else 'FAIL':6}  {r.detail}" for r in results]
    failed = [r for r in results if not r.ok]
    if failed:
        lines += ["", "To fix:"]
        lines += [f"  {r.check}: {r.fix}" for r in failed]
    lines += [
        "",
        f"{len(results)} checks: {len(results) - len(failed)} passed, {len(failed)} failed",
    ]
    return "\n".join(lines) + "\n"


def format_json(results: list[CheckResult]) -> str:
    failed = sum(not r.ok for r in results)
    return (
        json.dumps(
            {
                "checks": [asdict(r) for r in results],
                "summary": {"passed": len(results) - failed, "failed": failed},
            },
            indent=2,
        )
        + "\n"
    )
