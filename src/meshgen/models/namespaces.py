"""The `namespaces:` section: which namespaces meshgen manages and how sidecars are injected."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from meshgen.models.base import Model, Text


class RevisionInjection(Model):
    """Inject sidecars from a named control-plane revision (label `istio.io/rev`)."""

    revision: Text


Injection = Literal["enabled", "disabled"] | RevisionInjection


class Namespace(Model):
    """A namespace with its sidecar injection mode and extra labels."""

    name: Text
    injection: Injection = "enabled"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    def injection_labels(self) -> dict[str, str]:
        """Exactly one of `istio-injection` or `istio.io/rev` (reference 6.3)."""
        if isinstance(self.injection, RevisionInjection):
            return {"istio.io/rev": self.injection.revision}
        return {"istio-injection": self.injection}

    @property
    def injected(self) -> bool:
        return self.injection != "disabled"
