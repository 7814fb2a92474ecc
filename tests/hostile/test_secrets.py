"""A secret in the config is named by its key path and never shown or written.

Every output meshgen produces for a config holding secrets (every report format of
`validate`, `check` with its diff, `render`, `render --check`, `render --force`, and the
rendered files themselves) is searched for the secret values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SECRETS = {
    "password": "TOPSECRET-pw-7f3a",
    "url": "TOPSECRET-url-91c2",
    "pem": "TOPSECRETpemMIIEvQIBADANBgkq",
    "token": "TOPSECRET-token-55aa",
    "scrape": "TOPSECRET-scrape-0b1d",
    "admin": "TOPSECRET-admin-c0de",
}
CONFIG = f"""\
istio:
  version: 1.30.3
  values:
    pilot: {{env: {{UPSTREAM_TOKEN: {SECRETS["token"]}}}}}
monitoring:
  prometheus:
    chartVersion: 29.27.0
    values:
      extraScrapeConfigs: |
        - job_name: ext
          basic_auth: {{username: u, password: {SECRETS["scrape"]}}}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {{name: grafana-admin}}
    values:
      grafana.ini: {{security: {{admin_password: {SECRETS["admin"]}}}}}
services:
  - name: api
    namespace: istio-system
    chart: ./c
    values:
      db: {{password: {SECRETS["password"]}}}
      upstream: "https://user:{SECRETS["url"]}@example.com/v1"
      tls: |
        -----BEGIN PRIVATE KEY-----
        {SECRETS["pem"]}
        -----END PRIVATE KEY-----
"""


@pytest.fixture
def secret_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    config = tmp_path / "meshgen.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return config


def _assert_no_secret(text: str, where: str) -> None:
    leaked = [name for name, value in SECRETS.items() if value in text]
    assert not leaked, f"{where} shows the {', '.join(leaked)} secret(s)"


def test_every_secret_is_an_error_naming_its_key_path(secret_project: Path) -> None:
    from meshgen import api

    project = api.load_project(secret_project)
    found = [d for d in api.validate_project(project) if d.code == "C202"]
    messages = "\n".join(d.message + (d.hint or "") for d in found)
    _assert_no_secret(messages, "a C202 message")
    for key_path in (
        "istio.values.pilot.env.UPSTREAM_TOKEN",
        "monitoring.prometheus.values.extraScrapeConfigs",
        "monitoring.grafana.values.grafana.ini.security.admin_password",
        "services[0].values.db.password",
        "services[0].values.upstream",
        "services[0].values.tls",
    ):
        assert key_path in messages, f"no C202 names {key_path}:\n{messages}"
    assert all(d.span.line > 1 for d in found), "each finding points at its line"


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "json"],
        ["validate", "--format", "sarif"],
        ["validate", "--format", "github"],
        ["check"],
        ["render"],
        ["render", "--check"],
        ["render", "--force"],
        ["--debug", "validate"],
    ],
    ids=" ".join,
)
def test_no_output_shows_a_secret(
    args: list[str], secret_project: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli(*args, "-c", str(secret_project))
    code = result.code
    assert code in (1, 2), result
    _assert_no_secret(result.out + result.err, f"`meshgen {' '.join(args)}`")
    for path in secret_project.parent.rglob("*.yaml"):
        if path != secret_project:
            _assert_no_secret(path.read_text(encoding="utf-8"), str(path))


def test_a_rendered_tree_holds_redactions_not_secrets(
    secret_project: Path, run_cli: Callable[..., Any]
) -> None:
    from meshgen.analysis.secrets import REDACTED

    # A tree with errors is never written (not even with --force): C202 as a warning
    # renders, and the literal secrets are redacted in what is written.
    secret_project.write_text(
        CONFIG + "checks: [{code: C202, severity: warning, reason: test}]\n", encoding="utf-8"
    )
    result = run_cli("render", "-c", str(secret_project))
    assert result.code == 0, result
    values = secret_project.parent / "deployment" / "helmfile" / "values" / "api-values.yaml"
    text = values.read_text(encoding="utf-8")
    assert text.count(REDACTED) == 3, text
    _assert_no_secret(text, str(values))


def test_ignoring_c202_renders_values_as_written(
    secret_project: Path, run_cli: Callable[..., Any]
) -> None:
    """A false positive is accepted explicitly, with a reason; then nothing is redacted."""
    secret_project.write_text(
        CONFIG + "checks: [{code: C202, severity: ignore, reason: test fixture values}]\n",
        encoding="utf-8",
    )
    result = run_cli("render", "-c", str(secret_project))
    assert result.code == 0, result
    values = secret_project.parent / "deployment" / "helmfile" / "values" / "api-values.yaml"
    assert SECRETS["password"] in values.read_text(encoding="utf-8")
