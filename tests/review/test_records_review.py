"""Review of `meshgen.records` against real dataclasses: copying, pickling, refused shapes.

Found in the session-20 review: a frozen `slots=True` record (Diagnostic, Span, ~35 more)
could not be copied, deep-copied or pickled (FrozenInstanceError: those restore slots with
setattr), while the dataclass it replaced could; and shapes `@record` does not implement
(kw_only, InitVar, a field named `self`, order without eq) were silently wrong or a
SyntaxError instead of what dataclasses does.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from meshgen.diagnostics import Diagnostic, Severity
from meshgen.records import record
from meshgen.source import Span


def _diagnostic() -> Diagnostic:
    return Diagnostic(
        "C005", "invalid-value", Severity.ERROR, "bad", Span("a.yaml", 3, 4), hint="h"
    )


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_frozen_slots_records_copy_and_pickle_like_dataclasses(how: str) -> None:
    do: dict[str, Any] = {
        "copy": copy.copy,
        "deepcopy": copy.deepcopy,
        "pickle": lambda v: pickle.loads(pickle.dumps(v)),  # noqa: S301 - our own bytes
    }
    for value in (Span("x.yaml", 2, 7), _diagnostic(), [_diagnostic()]):
        again = do[how](value)
        assert again == value and repr(again) == repr(value)
    d = do[how](_diagnostic())
    assert d.hint == "h" and d.span == Span("a.yaml", 3, 4)  # compare=False fields kept too
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.code = "X"  # type: ignore[misc]


def test_frozen_slots_record_state_is_the_dataclass_state() -> None:
    real = dataclasses.dataclass(frozen=True, slots=True)(
        type("Pair", (), {"__annotations__": {"a": "int", "b": "str"}})
    )
    ours = record(slots=True)(type("Pair", (), {"__annotations__": {"a": "int", "b": "str"}}))
    assert ours(1, "x").__getstate__() == real(1, "x").__getstate__() == [1, "x"]


def test_shapes_record_does_not_implement_are_refused() -> None:
    with pytest.raises(TypeError, match="kw_only or InitVar"):

        @record
        class KwOnly:
            a: int = 0
            b: int = dataclasses.field(kw_only=True)

    with pytest.raises(TypeError, match="kw_only or InitVar"):

        @record
        class WithInitVar:
            a: int
            seed: dataclasses.InitVar[int]

            def __post_init__(self, seed: int) -> None:
                pass

    with pytest.raises(TypeError, match="field named 'self'"):
        record(type("S", (), {"__annotations__": {"self": "int"}}))
    with pytest.raises(ValueError, match="eq must be true if order is true"):
        record(order=True, eq=False)(type("O", (), {"__annotations__": {"a": "int"}}))


def test_signature_annotations_and_the_generated_docstring_match_dataclasses() -> None:
    body: dict[str, Any] = {
        "__annotations__": {"a": "int", "b": "str", "c": "tuple[int, ...]"},
        "__module__": __name__,
        "b": "x",
        "c": dataclasses.field(default_factory=tuple),
    }
    real = dataclasses.dataclass(frozen=True)(type("Shape", (), dict(body)))
    ours = record(type("Shape", (), dict(body)))
    assert str(inspect.signature(ours)) == str(inspect.signature(real))
    assert ours.__init__.__annotations__ == real.__init__.__annotations__
    assert (
        ours.__doc__
        == real.__doc__
        == "Shape(a: 'int', b: 'str' = 'x', c: 'tuple[int, ...]' = <factory>)"
    )
    documented = record(type("Doc", (), {"__doc__": "Mine.", "__annotations__": {"a": "int"}}))
    assert documented.__doc__ == "Mine."
