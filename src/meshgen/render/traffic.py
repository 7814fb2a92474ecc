"""`traffic/<service>-fortio-job.yaml`: the fortio Job that `meshgen traffic` runs."""

from __future__ import annotations

from typing import Any

from meshgen.models import Service, TrafficTest
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile


def job_name(service: Service) -> str:
    return f"{service.name}-traffic-test"[:63].rstrip("-")


def target_url(service: Service, test: TrafficTest) -> str:
    path = test.path if test.path.startswith("/") else f"/{test.path}"
    return f"http://{service.name}.{service.namespace}.svc.cluster.local:{service.port}{path}"


def fortio_job(service: Service, test: TrafficTest) -> dict[str, Any]:
    """A fortio load Job in the service's (injected) namespace.

    The proxy runs as a native sidecar so that the Job completes when fortio exits.
    """
    labels = {"app": "fortio", "meshgen.io/traffic-test": service.name}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(service), "namespace": service.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {"sidecar.istio.io/nativeSidecar": "true"},
                },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "fortio",
                            "image": test.image,
                            "args": [
                                "load",
                                "-qps",
                                str(test.qps),
                                "-t",
                                test.duration,
                                "-c",
                                str(test.connections),
                                "-json",
                                "/tmp/result.json",  # noqa: S108 - inside the fortio container
                                target_url(service, test),
                            ],
                        }
                    ],
                },
            },
        },
    }


def render(inputs: RenderInputs) -> list[RenderedFile]:
    return [
        build_file(
            inputs,
            naming.traffic_file(svc.name),
            "traffic/fortio-job.yaml.j2",
            [fortio_job(svc, svc.traffic_test)],
            origin=("services", index, "trafficTest"),
            service=svc,
        )
        for index, svc in enumerate(inputs.config.services)
        if svc.traffic_test is not None
    ]
