"""Shared by the real-tools tests: render a config, point its charts at local sources, run
the real helmfile, and read what it made.

`scripts/test-tools` installs helm 3.15.3 and 4.1.4, helmfile 0.166.0 and kubectl 1.35.2
into `.tools/`; `../shared/charts/` holds the chart sources at the pinned versions.

The real helmfile runs through `run_helmfile`, with meshgen's own private temporary folder
(`meshgen.handoff.tempdirs`): helmfile 0.166 leaves a `chartify*` folder in the system temp
folder for each release whose chart is a folder of manifests, on every run.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshgen.handoff import tempdirs

REPO = Path(__file__).resolve().parent.parent.parent
TOOLS = REPO / ".tools"
CHARTS = REPO.parent / "shared" / "charts"
MESHGEN = Path(sys.executable).parent / "meshgen"

#: Repository charts meshgen renders -> their source folder under ../shared/charts/.
LOCAL_SOURCES = {
    "istio/base": "istio-1.30.3/base",
    "istio/istiod": "istio-1.30.3/istiod",
    "prometheus-community/prometheus": "prometheus-29.27.0",
    "grafana-community/grafana": "grafana-12.11.1",
    "podinfo/podinfo": "podinfo-6.7.1",
}
#: A folder laid out like a mirror (`helm pull --untar` per chart): chart name -> source.
MIRROR = {
    "base": "istio-1.30.3/base",
    "istiod": "istio-1.30.3/istiod",
    "prometheus": "prometheus-29.27.0",
    "grafana": "grafana-12.11.1",
    "podinfo": "podinfo-6.7.1",
}

NEEDS_TOOLS = [
    pytest.mark.skipif(
        not (TOOLS / "bin" / "helmfile").is_file(),
        reason="the real helm/helmfile/kubectl are not installed: run `python scripts/test-tools`",
    ),
    pytest.mark.skipif(not CHARTS.is_dir(), reason=f"chart sources not found at {CHARTS}"),
]
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


@dataclass
class Tree:
    """A rendered tree, and the objects `helmfile template` made of it."""

    config: Path
    helmfile: Path
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return [
            o
            for o in self.objects
            if o.get("kind") == kind
            and (namespace is None or o["metadata"].get("namespace", namespace) == namespace)
        ]

    def named(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        (found,) = [o for o in self.of_kind(kind, namespace) if o["metadata"]["name"] == name]
        return found

    def values(self, name: str) -> dict[str, Any]:
        data = yaml.safe_load((self.helmfile.parent / "values" / name).read_text())
        return data if isinstance(data, dict) else {}

    def pod_labels(self, namespace: str) -> list[dict[str, str]]:
        """The labels of the pods the workloads in `namespace` run (pod templates)."""
        return [
            w["spec"]["template"]["metadata"].get("labels") or {}
            for kind in WORKLOADS
            for w in self.of_kind(kind, namespace)
        ]


def env(helm: str = "helm3", **extra: str) -> dict[str, str]:
    path = f"{TOOLS / helm}{os.pathsep}{TOOLS / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, "PATH": path, **extra}


def run_helmfile(
    args: Sequence[str], *, environ: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real `helmfile <args>`, captured, in the environment meshgen gives helmfile.

    `environ`: the environment to start from (default `env()`); its temporary-folder
    variables point at a private folder that is removed when helmfile ends, as in
    `meshgen template|diff|apply|sync`.
    """
    with tempdirs.helmfile_env(env() if environ is None else environ) as child:
        return subprocess.run(
            ["helmfile", *args],
            capture_output=True, text=True, env=child, check=False, timeout=timeout,
        )  # fmt: skip


def meshgen(*args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(MESHGEN), *args], capture_output=True, text=True, check=False, timeout=300, **kwargs
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def init(config: Path) -> None:
    """`meshgen init`, in process."""
    from meshgen import api

    api.init(config)


def findings(config: Path, *, charts: bool = False) -> list[str]:
    """`meshgen validate [--charts]` in process: each diagnostic's text line."""
    from meshgen import api

    project = api.load_project(config)
    return [d.format_text() for d in api.validate_project(project, charts=charts)]


def render(config: Path) -> None:
    """`meshgen render`, in process (the config must be free of findings)."""
    from meshgen import api

    assert findings(config) == []
    project = api.load_project(config)
    written = api.write_tree(config, project)
    assert written.plan is not None and not written.conflicts


def point_charts_at_sources(helmfile: Path, sources: Mapping[str, str] | None = None) -> None:
    """Each repository chart's `chart:` -> its local source (what a mirror would hold).

    `sources`: chart -> folder under ../shared/charts (default `LOCAL_SOURCES`).
    """
    state = yaml.safe_load(helmfile.read_text())
    for release in state["releases"]:
        source = (LOCAL_SOURCES if sources is None else sources).get(release["chart"])
        if source is not None:
            release["chart"] = str(CHARTS / source)
            release.pop("version", None)
    helmfile.write_text(yaml.safe_dump(state, sort_keys=False))


def make_mirror(folder: Path) -> Path:
    """A local chart repository folder: one unpacked chart per name (symlinks to sources)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in MIRROR.items():
        (folder / name).symlink_to(CHARTS / source)
    return folder


#: Kinds without a namespace (helm leaves metadata.namespace off namespaced objects too).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PersistentVolume",
    "StorageClass", "PriorityClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "IngressClass",
}  # fmt: skip


def template(helmfile: Path, **extra_env: str) -> list[dict[str, Any]]:
    """The final manifests, each namespaced object with its release's namespace filled in.

    `helmfile template --output-dir` writes one folder per release
    (`helmfile-<hash>-<release>`), which is how an object is known to be of its release.
    """
    state = yaml.safe_load(helmfile.read_text(encoding="utf-8"))
    namespaces = {r["name"]: r["namespace"] for r in state["releases"]}
    with tempfile.TemporaryDirectory(prefix="helmfile-out-") as out:
        result = run_helmfile(
            ["--file", str(helmfile), "template", "--skip-deps", "--output-dir", out],
            environ=env(**extra_env),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        objects: list[dict[str, Any]] = []
        folders = sorted(Path(out).iterdir())
        assert len(folders) == len(namespaces), (folders, namespaces)
        for folder in folders:
            release = folder.name.split("-", 2)[2]
            for path in sorted(folder.rglob("*.yaml")):
                for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                    if not isinstance(doc, dict):
                        continue
                    if doc.get("kind") not in CLUSTER_SCOPED:
                        doc["metadata"].setdefault("namespace", namespaces[release])
                    objects.append(doc)
    return objects


def services(tree: Tree) -> dict[tuple[str, str], dict[str, Any]]:
    """(namespace, name) -> the Service object, for every Service of the final manifests."""
    return {
        (s["metadata"].get("namespace", ""), s["metadata"]["name"]): s
        for s in tree.of_kind("Service")
    }


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def kubernetes_problems(objects: list[dict[str, Any]]) -> tuple[list[str], set[str], int]:
    """kubernetes-validate `--strict` (Kubernetes 1.35) on each object.

    (problems, kinds without a bundled schema, objects validated); skips the test when
    kubernetes-validate is not installed (`pip install -e '.[test]'`).
    """
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    from kubernetes_validate import utils
    from kubernetes_validate.utils import SchemaNotFoundError

    if not hasattr(utils.schema_contents, "cache_info"):
        # validate() reads its schema files (the 4 MB _definitions.json among them) on
        # every call; read each once per test run (the contents are only read).
        utils.schema_contents = functools.cache(utils.schema_contents)

    problems: list[str] = []
    unknown: set[str] = set()
    validated = 0
    for obj in objects:
        try:
            kv.validate(obj, "1.35.0", strict=True)
            validated += 1
        except SchemaNotFoundError:
            unknown.add(str(obj.get("kind")))
        except kv.ValidationError as exc:
            problems.append(f"{obj.get('kind')}/{obj['metadata'].get('name')}: {exc.message}")
    return problems, unknown, validated


URL = re.compile(r"https?://([^.:/]+)\.([^.:/]+)\.svc(?:\.cluster\.local)?:(\d+)(/.*)?")


def check_verify_selectors(tree: Tree) -> int:
    """`meshgen verify`'s selectors (api.verify_queries, no cluster) match rendered objects.

    The number of selectors checked.
    """
    from meshgen import api

    project = api.load_project(tree.config)
    queries = [q for q in api.verify_queries(project) if q.selector]
    config = project.loaded.config
    assert config is not None
    pods = {q.namespace for q in queries if q.resource == "pods"}
    assert pods >= {svc.namespace for svc in config.services}
    for query in queries:
        assert query.namespace is not None
        if query.resource == "pods":
            candidates = tree.pod_labels(query.namespace)
        else:
            kind = {"configmaps": "ConfigMap"}[query.resource]
            candidates = [
                o["metadata"].get("labels") or {} for o in tree.of_kind(kind, query.namespace)
            ]
        assert any(selects(query.labels, labels) for labels in candidates), (query, candidates)
    return len(queries)


def check_traffic_targets(tree: Tree) -> int:
    """Each traffic Job's URL names a rendered Service, port and pods behind it."""
    jobs = sorted((tree.helmfile.parent / "traffic").glob("*-fortio-job.yaml"))
    rendered = services(tree)
    for path in jobs:
        job = yaml.safe_load(path.read_text(encoding="utf-8"))
        args = job["spec"]["template"]["spec"]["containers"][0]["args"]
        (url,) = [a for a in args if a.startswith("http")]
        match = URL.fullmatch(url)
        assert match, url
        name, namespace, port, _ = match.groups()
        service = rendered.get((namespace, name))
        assert service is not None, (url, sorted(rendered))
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}, url
        pods = tree.pod_labels(namespace)
        assert any(selects(service["spec"]["selector"], labels) for labels in pods), url
    return len(jobs)


def check_dashboard_workloads(tree: Tree) -> int:
    """`destination_workload` in each generated dashboard is a rendered Deployment."""
    checked = 0
    for obj in tree.of_kind("ConfigMap", None):
        if "-dashboards-" not in obj["metadata"]["name"]:
            continue
        for key, text in (obj.get("data") or {}).items():
            found = set(re.findall(r'destination_workload=\\?"([^"\\$]+)\\?"', text))
            namespaces = set(re.findall(r'destination_workload_namespace=\\?"([^"\\$]+)\\?"', text))
            if not found:
                continue  # a dashboard of another kind (a file the config names)
            assert len(namespaces) == 1, key
            (namespace,) = namespaces
            deployments = {d["metadata"]["name"] for d in tree.of_kind("Deployment", namespace)}
            assert found <= deployments, (key, found, deployments)
            checked += 1
    return checked


def not_inside(wanted: Any, got: Any, path: str = "") -> Iterator[str]:
    """Where `wanted` (e.g. a rendered meshConfig) is not inside `got` (the deployed one)."""
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            yield f"{path}: {got!r} is not a mapping"
            return
        for key, value in wanted.items():
            yield from not_inside(value, got.get(key), f"{path}.{key}")
    elif wanted != got:
        yield f"{path}: {got!r} != {wanted!r}"
