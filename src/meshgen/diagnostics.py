"""Diagnostics: every problem meshgen reports, with a permanent code and a source position."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import field, replace

from meshgen.records import record
from meshgen.source import Span


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered so that `max()` gives the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


@record(slots=True)
class Diagnostic:
    """One finding: code (e.g. ``C003``), kebab-case name, severity, message and where."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Span, ...] = ()
    aliases: tuple[str, ...] = ()
    hint: str | None = field(default=None, compare=False)
    #: What the message summarises, one item a line (every affected panel, ...).
    detail: tuple[str, ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def format_text(self) -> str:
        text = f"{self.span}: {self.code} {self.message} [{self.name}]"
        for item in self.detail:
            text += f"\n    - {item}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable, deterministic order: by file, line, column, code, message."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity is severity)


def has_errors(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    """True when any finding should fail the run (warnings too when `strict`)."""
    floor = Severity.WARNING if strict else Severity.ERROR
    return any(d.severity >= floor for d in diagnostics)


# --- The catalogue ------------------------------------------------------------------------
#
# Every code meshgen can print has one `CodeInfo`. The input (C0xx) and internal (X0xx)
# codes are registered here; each check carries its own (its `@check` and docstring), and
# `catalogue()` merges both. The registry lives on a higher floor (`meshgen.checks`), so this
# module never imports it: the caller (`meshgen.api.catalogue`) hands the checks in.


@record(slots=True)
class CodeInfo:
    """One catalogue entry: a permanent code, its kebab-case name, default severity and doc.

    `doc` starts with a one-line summary, then `Why:`, `Example:` and `Fix:` paragraphs
    (the same shape as a check's docstring). `aliases` are `istioctl analyze` codes.
    """

    code: str
    name: str
    severity: Severity
    doc: str
    aliases: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name


def _entry(
    code: str, name: str, severity: Severity, doc: str, aliases: tuple[str, ...] = ()
) -> CodeInfo:
    return CodeInfo(code, name, severity, _dedent(doc), aliases)


def _dedent(doc: str) -> str:
    """`inspect.cleandoc` for the triple-quoted docs below, without importing `inspect`."""
    lines = doc.strip("\n").rstrip().splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:].rstrip() for line in lines)


#: Codes reported while reading input, before any check runs (`diagnostic()` stamps them).
INPUT_CODES: tuple[CodeInfo, ...] = (
    _entry(
        "C001",
        "config-unreadable",
        Severity.ERROR,
        """
        An input file is missing, a directory or other non-regular file, unreadable or too large.

        Applies to the config and to every file given to `meshgen lint`.

        Why: nothing can be checked or rendered from a file that cannot be read. meshgen reads
        regular files only, at most 2 MiB: a FIFO would block forever and `/dev/zero` never
        ends. The run stops with exit status 2 (unreadable input).

        Example: `meshgen validate -c infrastructure/meshgen.yml` reports
        `infrastructure/meshgen.yml:1:1: C001 config file infrastructure/meshgen.yml does not
        exist`; `-c infrastructure` reports `infrastructure is a directory, not a config file`.

        Fix: name the file itself (`-c infrastructure/meshgen.yaml`), make it readable, or
        split a config that outgrew 2 MiB.
        """,
    ),
    _entry(
        "C002",
        "yaml-syntax-error",
        Severity.ERROR,
        """
        The file is not valid YAML or JSON (syntax, a tab indent, bad UTF-8, a NUL byte).

        Why: a file that does not parse has no meaning to check; the YAML error names the
        first place the parser gave up, which is usually at or just after the mistake. The run
        stops with exit status 2.

        Example: a tab before `version:` (`istio:` then `<TAB>version: 1.30.3`) reports
        `meshgen.yaml:2:1: C002 YAML syntax error: a tab character cannot indent YAML; use
        spaces`; an unclosed quote (`version: "1.30.3`) reports `found unexpected end of
        stream`.

        Fix: indent with spaces, close the quote or bracket, save the file as UTF-8.
        """,
    ),
    _entry(
        "C003",
        "duplicate-key",
        Severity.ERROR,
        """
        A mapping repeats a key; YAML would silently keep only one of the values.

        Why: most YAML readers (and Helm) keep the last value without a word, so half of what
        was written is dropped; which half was meant cannot be guessed. The run stops with exit
        status 2.

        Example: `istio: {version: 1.30.3}` on line 1 and `istio: {namespace: istio-system}`
        on line 3 reports `meshgen.yaml:3:1: C003 duplicate key 'istio'`.

        Fix: merge the two entries into one mapping (`istio: {version: 1.30.3, namespace:
        istio-system}`), or delete the stale one.
        """,
    ),
    _entry(
        "C004",
        "unknown-key",
        Severity.ERROR,
        """
        A key that meshgen does not know; usually a typo (the closest key is suggested).

        Why: Helm ignores a misspelt key in chart values and istiod ignores an unknown
        meshConfig field, so a typo silently turns a setting off. meshgen's models forbid
        unknown keys so the typo is found where it was made.

        Example: `istio: {version: 1.30.3, accesLogging: {enabled: true}}` reports
        `C004 unknown key 'accesLogging' in istio (did you mean 'accessLogging'?)`.

        Fix: correct the spelling (`accessLogging`); `meshgen.schema.json` lists every key,
        and editors that read the `yaml-language-server` header complete them.
        """,
    ),
    _entry(
        "C005",
        "invalid-value",
        Severity.ERROR,
        """
        A value of the wrong type or outside the allowed values.

        Why: the value would be rejected by the chart, the CRD or the API server at apply time,
        or worse, read as something else (a string where a boolean was meant). The output
        folder must also stay inside the config's folder.

        Example: `namespaces: [{name: inference, injection: enabeld}]` reports
        `C005 namespaces[0].injection: Input should be 'enabled' or 'disabled'`;
        `output: ../../elsewhere` reports that the output folder resolves outside the config's
        folder.

        Fix: use one of the values the message lists (`injection: enabled`), the right type
        (`prometheusMerge: true`, not `"yes please"`), or an output folder under the config's.
        """,
    ),
    _entry(
        "C006",
        "missing-key",
        Severity.ERROR,
        """
        A required key is missing.

        Why: meshgen cannot render without it and will not guess: a default for a name or a
        version would be a silent choice made for you.

        Example: `namespaces: [{injection: enabled}]` reports `C006 missing required key
        'name' in namespaces[0]`; a config without `istio:` reports `missing required key
        'istio' in the top level`.

        Fix: add the key (`- name: inference`, `istio: {version: 1.30.3}`); `meshgen init`
        writes a complete starting config.
        """,
    ),
    _entry(
        "C007",
        "document-too-large",
        Severity.ERROR,
        """
        The document expands too far (an alias bomb) or nests too deep.

        Why: YAML aliases can make a small file expand to billions of values ("billion
        laughs"), and very deep nesting exhausts the parser's stack. meshgen stops at 200000
        values and 64 levels, far beyond any real config, instead of hanging or crashing. The
        run stops with exit status 2.

        Example: `a: &a [x, x, x, x, x, x, x, x, x]`, `b: &b [*a, *a, ...]` and so on for
        seven levels reports `C007 the document expands to more than 200000 values`;
        `istio: [[[[...]]]]` 200 brackets deep reports `the document nests deeper than 64
        levels`.

        Fix: write the values out instead of multiplying them through aliases, and flatten the
        nesting; a meshgen config is a few levels deep.
        """,
    ),
    _entry(
        "C008",
        "config-not-a-mapping",
        Severity.ERROR,
        """
        The config is not a YAML mapping at the top level (it is empty, a list or a scalar).

        Why: a config is a mapping with at least an `istio:` key; anything else has nothing
        meshgen can read, and an empty file usually means the wrong file was named.

        Example: `- istio: {version: 1.30.3}` (a list) reports `C008 the config must be a
        mapping with an `istio:` key, found a list`; an empty file reports `found empty`.

        Fix: drop the leading `- ` so the keys sit at the top level, or point `--config` at
        the real config (`meshgen init` writes one).
        """,
    ),
    _entry(
        "C009",
        "referenced-file-unreadable",
        Severity.ERROR,
        """
        A dashboard file the config names is missing, outside its folder, unreadable or bad JSON.

        Why: the dashboard's JSON is embedded in the rendered Grafana values, so a missing or
        broken file would ship an empty or broken dashboard. Only files inside the config's
        folder are read, so a config cannot pull `../../etc/...` into a rendered file.

        Example: `dashboards: [{name: balancer, file: dashboards/balancer.json}]` with no
        such file reports `C009 dashboard file dashboards/balancer.json does not exist`;
        `file: ../../etc/dash.json` reports that it is outside the config's folder; a JSON
        error is reported at its line and column in the dashboard file.

        Fix: fix the path (relative to the config's folder), move the file under that folder,
        or repair the JSON (`python -m json.tool dashboards/balancer.json` shows the error).
        """,
    ),
    _entry(
        "C010",
        "unrecognised-input",
        Severity.WARNING,
        """
        `meshgen lint` found nothing it knows in a file.

        It knows Telemetry resources, workloads (Pod, Deployment, StatefulSet, DaemonSet,
        ReplicaSet, Job, CronJob), Namespace, ConfigMap and IstioOperator resources, helmfile
        states, istiod/base/grafana/prometheus/kube-prometheus-stack chart values (the istiod
        and base charts' own `_internal_defaults_do_not_set` layout included) and Grafana
        dashboard JSON.

        Why: a file passed to `meshgen lint` that it cannot recognise is checked by nothing,
        so a clean result would be a false comfort. It is a warning, not an error: globs such
        as `meshgen lint manifests/*.yaml` often include files meshgen has no rules for
        (`--strict` makes it fail the run).

        Example: `meshgen lint svc.yaml` where `svc.yaml` holds `kind: Service` reports
        `svc.yaml:1:1: C010 nothing meshgen lint checks in svc.yaml`.

        Fix: lint only the files meshgen knows, or `--ignore C010` when a glob picks up others
        on purpose.
        """,
    ),
    _entry(
        "C011",
        "istio-version-without-facts",
        Severity.INFO,
        """
        `meshgen lint` checks files for an Istio version meshgen has no facts for.

        meshgen records Istio's telemetry facts (Telemetry fields, metrics, labels, providers)
        and the istiod/base value keys for 1.28, 1.29 and 1.30. The version comes from
        `--istio-version`, else from the `version:` of an istiod or base release in a linted
        helmfile.

        Why: many repositories still install older Istio; facts of 1.30 applied to 1.18 give
        findings that are right for 1.30 and wrong for the version installed. meshgen says
        so instead: Telemetry checks still use the newest facts (they may not hold), and the
        istiod/base value keys are not checked at all.

        Example: a helmfile release `{name: istiod, chart: istio/istiod, version: 1.18.2}`
        reports `helmfile.yaml:5:14: C011 Istio 1.18.2 (the helmfile release) is not a
        version meshgen has facts for`.

        Fix: nothing to fix in the files; read the findings with that in mind, upgrade Istio,
        or `--ignore C011` once you know.
        """,
    ),
    _entry(
        "C012",
        "partly-checked-input",
        Severity.INFO,
        """
        `meshgen lint` recognised a file but checks only part of it, and says which part.

        Said for kube-prometheus-stack values (only the `grafana:` section is checked, as
        values of its grafana subchart), for an IstioOperator (only `spec.meshConfig`, whose
        extension providers the Telemetry checks then know) and for templated helmfiles
        (`*.gotmpl`: the lines
        holding template actions are read without rendering them; a file that is not YAML
        before rendering is not checked at all).

        Why: a clean result on a file meshgen read only in part would be a false comfort.

        Example: `helmfile.yaml.gotmpl` with `{{ if .Values.tracing }}` on line 7 reports
        `helmfile.yaml.gotmpl:7:1: C012 helmfile.yaml.gotmpl is a Go template: 2 line(s)
        with template actions (line 7, 12) were read without rendering them`.

        Fix: nothing to fix; lint the output of `helmfile template` for the full picture, or
        `--ignore C012`.
        """,
    ),
    _entry(
        "C013",
        "telemetry-api-not-served",
        Severity.ERROR,
        """
        A Telemetry resource uses an apiVersion the targeted Istio version does not serve.

        `telemetry.istio.io/v1` is served from Istio 1.22 (the API's promotion);
        `v1alpha1` since the Telemetry API exists. The version is `--istio-version`, else an
        istiod/base release's `version:` in a linted helmfile.

        Why: the API server refuses the resource ("no matches for kind Telemetry in version
        telemetry.istio.io/v1") on a cluster whose Istio CRDs predate v1.

        Example: `apiVersion: telemetry.istio.io/v1` linted with `--istio-version 1.20.8`.

        Fix: write `apiVersion: telemetry.istio.io/v1alpha1` (same schema), or upgrade Istio.
        """,
    ),
    _entry(
        "C014",
        "inputs-not-combined",
        Severity.INFO,
        """
        Files of one project include two of a kind, so `meshgen lint` checks each alone.

        Files linted together are grouped by project (a helmfile and the values files its
        releases name, the files under one helmfile's directory, else one directory). Within
        a project, two helmfile states, or two values files of one chart that are not layers
        of one release's `values:`, are never combined: meshgen cannot tell which one the
        Telemetry resources, dashboards and other files go with.

        Why: combining them made findings come from another project's Grafana or istiod
        values (extension providers of the last istiod file, datasources of the first
        Grafana file), and hid others.

        Example: `meshgen lint istiod-a.yaml istiod-b.yaml telemetry.yaml` in one directory
        reports `istiod-a.yaml:1:1: C014 istiod values istiod-a.yaml is checked on its own`.

        Fix: lint each project's files in their own run, or list both files as the `values:`
        of one helmfile release when they are layers of one install.
        """,
    ),
    _entry(
        "C015",
        "chart-version-without-keys",
        Severity.INFO,
        """
        `meshgen lint` reads values of a chart whose pinned version it has no key data for.

        meshgen knows the value keys of kube-prometheus-stack 88.5.3, kiali-server 2.29.0
        and Istio's gateway chart 1.30.3. A linted helmfile release that pins another
        version of one of them turns the unknown-key check (H103) off for that chart's
        values; values no release gives a version are compared with the known version, and
        the message names it.

        Why: these charts changed their keys across majors (kube-prometheus-stack dropped its
        PodSecurityPolicy keys, Kiali 2 replaced `deployment.accessible_namespaces` with
        `discovery_selectors`): keys of one version judged by another give false alarms,
        and a silent skip would be a false comfort.

        Example: a release `{name: kps, chart: prometheus-community/kube-prometheus-stack,
        version: 45.7.1}` reports `helmfile.yaml:8:14: C015 kube-prometheus-stack 45.7.1
        (the helmfile release) is not a version meshgen knows the value keys of`.

        Fix: nothing to fix in the files; upgrade the chart, or `--ignore C015` once you know.
        """,
    ),
)


#: Codes meshgen reports about itself: a bug, never a problem in the input.
INTERNAL_CODES: tuple[CodeInfo, ...] = (
    _entry(
        "X001",
        "check-crashed",
        Severity.ERROR,
        """
        A check raised an exception; the other checks still ran.

        Why: a bug in one check must not hide the findings of the others, nor pass a config
        it could not check: the crash is an error, so the run fails instead of reporting a
        clean result it has not proven.

        Example: `meshgen.yaml:1:1: X001 check C101 (invalid-kubernetes-name) crashed:
        RuntimeError: ...; please report this`.

        Fix: report it with the config (or a reduced one) and the `--debug` output, which
        adds the traceback; until it is fixed, `--ignore` the crashing check's code.
        """,
    ),
    _entry(
        "X002",
        "render-failed",
        Severity.ERROR,
        """
        meshgen rendered a file that does not parse back to the data it meant to write.

        Why: every rendered file is read back the way Helm reads it (YAML 1.1) before anything
        is written; a difference (a template pasting a value that changes type, an unescaped
        character) is a meshgen bug that would otherwise reach the cluster. Nothing is written.

        Example: `meshgen.yaml:3:5: X002 meshgen produced an invalid
        namespaces/inference.yaml; please report this: ...`, pointing at the config entry
        the file was rendered from.

        Fix: report it with that config entry; until it is fixed, change the value it points
        at (quote it, drop the unusual character) to avoid the broken template path.
        """,
    ),
)

#: The codes registered here, by code (checks are registered by `@check`).
BUILTIN_CODES: dict[str, CodeInfo] = {info.code: info for info in (*INPUT_CODES, *INTERNAL_CODES)}


def diagnostic(code: str, message: str, span: Span, *, hint: str | None = None) -> Diagnostic:
    """A diagnostic of an input or internal code, named and graded by the catalogue.

    An unknown code (or a check's: the engine stamps those) raises KeyError: a meshgen bug.
    """
    info = BUILTIN_CODES[code]
    return Diagnostic(
        code, info.name, info.severity, message, span, aliases=info.aliases, hint=hint
    )


@record
class Catalogue:
    """Every code meshgen can print, sorted by code; look entries up by code, alias or name."""

    entries: tuple[CodeInfo, ...]

    def __iter__(self) -> Iterator[CodeInfo]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, text: str) -> CodeInfo | None:
        """The entry whose code, alias (e.g. `IST0160`) or name is `text` (any case)."""
        key = text.strip().lower()
        for info in self.entries:
            if key in (info.code.lower(), info.name) or key in (a.lower() for a in info.aliases):
                return info
        return None

    def suggest(self, text: str, *, n: int = 3) -> list[str]:
        """The codes, aliases or names closest to `text`, best first (for did-you-mean)."""
        key = text.strip().lower()
        shown: dict[str, str] = {}
        for info in self.entries:
            for word in (info.code, info.name, *info.aliases):
                shown.setdefault(word.lower(), word)
        return [shown[w] for w in close_matches(key, shown, n=n)]


def close_matches(
    word: str, candidates: Iterable[str], *, n: int = 1, cutoff: float = 0.6
) -> list[str]:
    """The candidates most like `word` (difflib's ratio >= `cutoff`), best first: did-you-mean.

    difflib is imported here, on first use: only a finding asks for a suggestion, and the
    import would cost every clean `meshgen check` about 2 ms.
    """
    import difflib

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def catalogue(checks: Iterable[CodeInfo] = ()) -> Catalogue:
    """The built-in codes merged with the checks' entries, sorted by code.

    Raises ValueError when two entries share a code, a name or an alias: codes are permanent
    and a lookup must never be ambiguous.
    """
    entries = sorted((*BUILTIN_CODES.values(), *checks), key=lambda info: info.code)
    owner: dict[str, str] = {}
    clashes = []
    for info in entries:
        for word in {info.code.lower(), info.name, *(a.lower() for a in info.aliases)}:
            if word in owner:
                clashes.append(f"{info.code} and {owner[word]} share {word!r}")
            else:
                owner[word] = info.code
    if clashes:
        raise ValueError("the diagnostic catalogue is ambiguous: " + "; ".join(clashes))
    return Catalogue(tuple(entries))
