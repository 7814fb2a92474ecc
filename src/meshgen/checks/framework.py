"""The check framework: a check is a documented generator of findings; the engine stamps it.

A check never sets its own code, name or severity: `@check` declares them once and the
engine applies them (and any re-grading from the config's `checks:` section) to every
finding, so a check cannot report the wrong code.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import field

from meshgen.diagnostics import Severity
from meshgen.records import record
from meshgen.source import KeyPath, Span

#: What a check needs to run: "config" (a valid MeshConfig), or any input kind it reads.
Needs = frozenset[str]


@record(slots=True)
class Finding:
    """One problem a check found.

    `at` is a key path into the config (resolved through its source map); `span` an exact
    position (a rendered or linted file). `related` are extra positions (the config line
    that produced a rendered value, the first of two duplicates, ...).
    """

    message: str
    at: KeyPath | None = None
    span: Span | None = None
    related: tuple[Span | KeyPath, ...] = ()
    hint: str | None = None
    #: Point at the key itself rather than its value (for problems with the key's name).
    key: bool = False
    #: Everything the short message summarises (e.g. each affected panel), one item a line.
    detail: tuple[str, ...] = ()


CheckFunction = Callable[["CheckContext"], Iterator[Finding]]  # type: ignore[name-defined]  # noqa: F821


@record
class Check:
    """A registered check: its permanent code and name, severity, and documentation."""

    code: str
    name: str
    severity: Severity
    function: CheckFunction
    aliases: tuple[str, ...] = ()
    #: Input kinds the check reads; it runs only when the context has all of them.
    needs: frozenset[str] = field(default_factory=lambda: frozenset({"config"}))

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name


def check(
    code: str,
    name: str,
    severity: Severity,
    *,
    aliases: tuple[str, ...] = (),
    needs: tuple[str, ...] = ("config",),
) -> Callable[[CheckFunction], Check]:
    """Declare a check. The decorated generator yields `Finding`s."""

    def wrap(function: CheckFunction) -> Check:
        return Check(code, name, severity, function, aliases, frozenset(needs))

    return wrap
