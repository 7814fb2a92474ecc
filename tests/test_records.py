"""`@record` behaves as `@dataclass` does: each shape is built both ways and compared."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, ClassVar

import pytest

from meshgen import records
from meshgen.records import record


def twins(body: dict[str, Any], **options: Any) -> tuple[type, type]:
    """The same class body as a real dataclass and as a record with the same options."""
    frozen = options.pop("frozen", True)
    real = dataclasses.dataclass(frozen=frozen, **options)(type("Shape", (), dict(body)))
    ours = record(frozen=frozen, **options)(type("Shape", (), dict(body)))
    return real, ours


BODY: dict[str, Any] = {
    "__annotations__": {"a": "int", "b": "str", "c": "tuple[int, ...]", "k": "ClassVar[int]"},
    "b": "x",
    "c": dataclasses.field(default_factory=tuple),
    "k": 7,
}
OPTIONS = [{}, {"slots": True}, {"frozen": False}, {"order": True}, {"eq": False}]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_same_fields_init_repr_eq_and_hash(options: dict[str, Any]) -> None:
    real, ours = twins(BODY, **options)
    assert [f.name for f in dataclasses.fields(ours)] == ["a", "b", "c"]
    for args, kwargs in [((1,), {}), ((1, "y"), {}), ((), {"a": 2, "c": (3,)})]:
        r, o = real(*args, **kwargs), ours(*args, **kwargs)
        assert repr(o) == repr(r)
        assert (o == ours(*args, **kwargs)) is (r == real(*args, **kwargs))
        assert (o == ours(9)) is (r == real(9))
        assert o.__eq__(r) is NotImplemented  # another class never equals, as with dataclasses
        if real.__hash__ is None:
            assert ours.__hash__ is None
        elif options.get("eq", True):
            assert hash(o) == hash(ours(*args, **kwargs)) == hash(r)
        else:
            assert hash(o) != hash(ours(*args, **kwargs))  # identity, as with eq=False
    assert ours.k == 7
    with pytest.raises(TypeError):
        ours()  # `a` has no default
    with pytest.raises(TypeError):
        ours(1, "x", (), 4)


def test_factories_make_a_new_value_each_time() -> None:
    _, ours = twins(
        {
            "__annotations__": {"items": "list[int]"},
            "items": dataclasses.field(default_factory=list),
        },
        frozen=False,
    )
    one, two = ours(), ours()
    one.items.append(1)
    assert two.items == [] and ours([5]).items == [5]


@pytest.mark.parametrize("options", [{}, {"slots": True}], ids=str)
def test_frozen_refuses_assignment_and_deletion(options: dict[str, Any]) -> None:
    _, ours = twins(BODY, **options)
    value = ours(1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'a'"):
        value.a = 2
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'b'"):
        del value.b
    assert dataclasses.replace(value, a=3) == ours(3)
    assert dataclasses.asdict(value) == {"a": 1, "b": "x", "c": ()}


def test_order_compares_field_tuples() -> None:
    real, ours = twins(BODY, order=True)
    values = [ours(2, "b"), ours(1, "z"), ours(2, "a")]
    assert sorted(values) == [ours(1, "z"), ours(2, "a"), ours(2, "b")]
    assert [repr(v) for v in sorted(values)] == [
        repr(v) for v in sorted([real(2, "b"), real(1, "z"), real(2, "a")])
    ]
    assert ours(1).__lt__(real(2)) is NotImplemented


def test_compare_false_and_repr_false_and_init_false() -> None:
    body: dict[str, Any] = {
        "__annotations__": {"a": "int", "note": "str", "memo": "dict[str, int]"},
        "note": dataclasses.field(default="", compare=False, repr=False),
        "memo": dataclasses.field(default_factory=dict, init=False, repr=False, compare=False),
    }
    real, ours = twins(body)
    assert repr(ours(1, "n")) == repr(real(1, "n")) == "Shape(a=1)"
    assert ours(1, "n") == ours(1, "other")
    assert hash(ours(1, "n")) == hash(ours(1, "other"))
    assert ours(1).memo == {}
    with pytest.raises(TypeError):
        ours(1, "n", {})


def test_post_init_runs_and_methods_in_the_body_win() -> None:
    seen: list[int] = []

    @record
    class Point:
        x: int
        y: int = 0

        def __post_init__(self) -> None:
            seen.append(self.x)

        def __repr__(self) -> str:
            return "P"

    assert repr(Point(3)) == "P" and seen == [3]
    assert Point.__init__.__qualname__.endswith("Point.__init__")


def test_a_record_may_extend_a_record() -> None:
    @record
    class Base:
        a: int

    @record
    class Child(Base):
        b: int = 2

    assert (
        Child(1) == Child(1, 2)
        and repr(Child(1)) == "test_a_record_may_extend_a_record.<locals>.Child(a=1, b=2)"
    )
    assert Child(1) != Base(1)


def test_self_reference_repr_does_not_recurse() -> None:
    @record(frozen=False)
    class Node:
        next: Any = None

    node = Node()
    node.next = node
    assert repr(node).endswith("Node(next=...)")


def test_hash_is_the_hash_of_the_compared_values() -> None:
    @record
    class Pair:
        a: int
        b: str

    assert hash(Pair(1, "x")) == hash((1, "x"))


def test_a_classvar_is_not_a_field() -> None:
    @record
    class WithConstant:
        LIMIT: ClassVar[int] = 3
        a: int = 0

    assert [f.name for f in dataclasses.fields(WithConstant)] == ["a"]
    assert WithConstant.LIMIT == 3


def test_records_of_one_shape_share_code_but_keep_their_own_names() -> None:
    """One compiled `__init__` per shape, renamed per record: keywords and errors still fit."""
    first = record(type("First", (), {"__annotations__": {"a": "int", "b": "str"}, "b": "x"}))
    compiled = records._init_code.cache_info()
    second = record(type("Second", (), {"__annotations__": {"k": "int", "v": "str"}, "v": "y"}))
    assert records._init_code.cache_info().misses == compiled.misses  # nothing compiled
    assert repr(first(b="z", a=1)) == "First(a=1, b='z')"
    assert repr(second(v="w", k=2)) == "Second(k=2, v='w')"
    assert str(inspect.signature(second)) == "(k: 'int', v: 'str' = 'y') -> None"
    with pytest.raises(TypeError, match="unexpected keyword argument 'a'"):
        second(a=1)


def test_a_field_without_default_after_one_with_is_refused_as_dataclasses_do() -> None:
    body = {"__annotations__": {"a": "int", "b": "int"}, "a": 1}
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        dataclasses.dataclass(type("Real", (), dict(body)))
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        record(type("Ours", (), dict(body)))


@pytest.mark.parametrize("name", ["class", "a-b", "1x", "None", "a b"])
def test_a_field_name_that_is_no_identifier_is_refused(name: str) -> None:
    body = {"__doc__": "A shape.", "__annotations__": {name: "int"}}
    with pytest.raises(SyntaxError):
        dataclasses.dataclass(type("Real", (), dict(body)))
    with pytest.raises(TypeError, match="is not an identifier"):
        record(type("Ours", (), dict(body)))
