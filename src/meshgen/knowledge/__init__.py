"""Facts meshgen reasons with, per pinned upstream version (data only, no I/O).

Each module covers one upstream project, e.g. `meshgen.knowledge.istio` for the Telemetry
API, the standard Istio metrics and labels, and the built-in providers.
"""
