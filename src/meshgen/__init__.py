"""meshgen: render and validate the Helmfile tree of an Istio mesh with Prometheus and Grafana."""

__version__ = "0.1.0"
