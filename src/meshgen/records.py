"""`@record`: a dataclass that compiles at most one generated method at import, not six.

`dataclasses.dataclass` writes every method it adds (`__init__`, `__repr__`, `__eq__`,
`__hash__`, and for frozen classes `__setattr__` and `__delattr__`) as source text and
compiles each one when the class is created. A compile costs about 0.6 M instructions, so
meshgen's ~90 dataclasses cost about a fifth of a whole `meshgen check` on the reference
config before a single line of the config is read.

A record is the same class, built with less work: `dataclasses` still lays out the fields
(so `dataclasses.fields`, `replace` and `asdict` keep working, and field defaults,
factories, `init=False`, `repr=False`, `compare=False` and `__post_init__` mean what they
mean there), only `__init__` is generated (instances are made in hot loops), compiled once
for every record of its shape and renamed for each, and the other methods are one shared
implementation each, reading the field values with
`operator.attrgetter`. They return what the generated methods return, value for value
(tests/test_records.py compares them with real dataclasses).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import keyword
import reprlib
from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType, MemberDescriptorType
from typing import Any, TypeVar, cast, dataclass_transform, overload

_C = TypeVar("_C", bound=type)


@overload
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: _C, /) -> _C: ...


@overload
def record(
    *, frozen: bool = True, eq: bool = True, order: bool = False, slots: bool = False
) -> Callable[[_C], _C]: ...


def record(
    cls: _C | None = None,
    /,
    *,
    frozen: bool = True,
    eq: bool = True,
    order: bool = False,
    slots: bool = False,
) -> _C | Callable[[_C], _C]:
    """Make `cls` a dataclass (frozen unless `frozen=False`), as `@dataclass(...)` would."""

    def wrap(cls: _C) -> _C:
        return _build(cls, frozen=frozen, eq=eq, order=order, slots=slots)

    return wrap if cls is None else wrap(cls)


def _build(original: _C, *, frozen: bool, eq: bool, order: bool, slots: bool) -> _C:
    # `dataclasses` itself validates and records the fields; it compiles nothing when it
    # adds no method. Its `__dataclass_params__` therefore says frozen=False, eq=False for
    # every record, which keeps a record subclassing a record consistent in its eyes.
    documented = bool(original.__dict__.get("__doc__"))
    if not documented:
        # Else dataclasses would write one from the signature of `object.__init__`, a
        # builtin's: inspect parses its text signature with tokenize, whose regex alone
        # costs a `meshgen check` 2 ms to compile. It is written once `__init__` exists.
        original.__doc__ = original.__name__
    cls: type = dataclasses.dataclass(init=False, repr=False, eq=False, slots=slots)(original)
    fields = dataclasses.fields(cls)
    _refuse_unsupported(cls, fields, eq=eq, order=order)
    _set(cls, "__init__", _make_init(cls, fields, frozen=frozen))
    if not documented:
        # As dataclasses would from the signature, once there is an `__init__` to read.
        cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    _set(cls, "__repr__", _make_repr(tuple(f.name for f in fields if f.repr)))
    if frozen:
        _set(cls, "__setattr__", _frozen_setattr(cls, {f.name for f in fields}))
        _set(cls, "__delattr__", _frozen_delattr(cls, {f.name for f in fields}))
        if slots:
            # As dataclasses: copy, deepcopy and pickle restore slots with setattr, which a
            # frozen class refuses; these two set them past it.
            _set(cls, "__getstate__", _slots_getstate)
            _set(cls, "__setstate__", _slots_setstate)
    if eq:
        compared = _values(tuple(f.name for f in fields if f.compare))
        _set(cls, "__eq__", _make_eq(compared))
        if order:
            for name, test in _ORDER.items():
                _set(cls, name, _make_order(compared, test))
        own_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
        implicit = own_hash is None and "__eq__" in cls.__dict__  # set by an `__eq__` in the body
        explicit = not (own_hash is dataclasses.MISSING or implicit)
        if not explicit:
            # As dataclasses: frozen + eq hashes the compared fields, eq alone is unhashable.
            hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
            cls.__hash__ = _make_hash(_values(hashed)) if frozen else None  # type: ignore[assignment]
    return cast(_C, cls)


def _refuse_unsupported(
    cls: type, fields: tuple[dataclasses.Field[Any], ...], *, eq: bool, order: bool
) -> None:
    """Shapes `_make_init` does not build as dataclasses would: refused, never built wrong."""
    if order and not eq:
        raise ValueError("eq must be true if order is true")
    # `__dataclass_fields__` also holds the InitVar pseudo-fields `fields()` leaves out.
    for f in cls.__dataclass_fields__.values():  # type: ignore[attr-defined]
        initvar = getattr(f, "_field_type", None) is getattr(dataclasses, "_FIELD_INITVAR", 0)
        if f.kw_only is True or initvar:
            raise TypeError(
                f"@record does not support kw_only or InitVar fields ({cls.__qualname__}.{f.name})"
            )
        if f.name == "self":
            raise TypeError(f"@record cannot have a field named 'self' ({cls.__qualname__})")
        if not f.name.isidentifier() or keyword.iskeyword(f.name):
            # dataclasses fails compiling such an `__init__`; a renamed code object would not.
            raise TypeError(f"field name {f.name!r} is not an identifier ({cls.__qualname__})")


def _slots_getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _slots_setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=True):
        object.__setattr__(self, f.name, value)


def _set(cls: type, name: str, function: Any) -> None:
    if name in cls.__dict__:
        return  # a method the class body wrote wins, as with dataclasses
    function.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, function)


def _make_init(cls: type, fields: tuple[dataclasses.Field[Any], ...], *, frozen: bool) -> Any:
    """`__init__` with the fields as parameters, defaults bound; compiled once per shape.

    The source names nothing of the record: parameter `p3`, attribute `__record_attr_3`, and
    globals by index. Records of one shape (the kinds of their fields, how each is set)
    share its code object, renamed for each (`CodeType.replace`: no compile); a compile
    costs about 0.15 ms, and a `meshgen check` makes 77 records of 33 shapes.
    """
    namespace: dict[str, Any] = {
        "__record_setattr": object.__setattr__,
        # dataclasses' own sentinel, shown as `<factory>` in the signature.
        "__record_missing": getattr(dataclasses, "_HAS_DEFAULT_FACTORY", dataclasses.MISSING),
    }
    params: list[str] = []
    names: dict[str, str] = {}  # a canonical name -> the field's
    defaults: list[Any] = []
    body: list[str] = []
    for index, f in enumerate(fields):
        param, attr = f"p{index}", f"__record_attr_{index}"
        default, factory = f"__record_default_{index}", f"__record_factory_{index}"
        if f.default is not dataclasses.MISSING:
            namespace[default] = f.default
        if f.default_factory is not dataclasses.MISSING:
            namespace[factory] = f.default_factory
        if f.init:
            names[param] = f.name
            params.append(param)
            if f.default is not dataclasses.MISSING:
                defaults.append(f.default)
                value = param
            elif f.default_factory is not dataclasses.MISSING:
                defaults.append(namespace["__record_missing"])
                value = f"{factory}() if {param} is __record_missing else {param}"
            else:
                if defaults:
                    raise TypeError(f"non-default argument {f.name!r} follows default argument")
                value = param
        elif f.default_factory is not dataclasses.MISSING:
            value = f"{factory}()"
        elif f.default is not dataclasses.MISSING:
            value = default
        else:
            continue
        names[attr] = f.name
        slot = getattr(cls, f.name, None) if frozen else None
        if isinstance(slot, MemberDescriptorType):
            # A frozen record's slot, set through its descriptor, past the refusing
            # `__setattr__`: `Span()` 790 -> 320 ns, and it is made by the hundred thousand.
            namespace[f"__record_set_{index}"] = slot.__set__
            assign = f"__record_set_{index}(self, {value})"
        elif frozen:
            assign = f"__record_setattr(self, {attr!r}, {value})"
        else:
            assign = f"self.{attr} = {value}"
        body.append(assign)
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    code = _init_code(source)
    code = code.replace(
        co_varnames=tuple(names.get(name, name) for name in code.co_varnames),
        co_names=tuple(names.get(name, name) for name in code.co_names),
        co_consts=tuple(names.get(c, c) if type(c) is str else c for c in code.co_consts),
    )
    init = FunctionType(code, namespace, "__init__", tuple(defaults) or None)
    # The annotations dataclasses gives its `__init__` (for inspect.signature, get_type_hints).
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


@functools.cache
def _init_code(source: str) -> CodeType:
    """The code of the one function `source` defines (a shape's `__init__`)."""
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - source built by `_make_init` from indexes only
    return cast(CodeType, namespace["__init__"].__code__)


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the tuple of the named attributes, in order."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


def _make_repr(names: tuple[str, ...]) -> Any:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _make_eq(values: Callable[[Any], tuple[Any, ...]]) -> Any:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _make_hash(values: Callable[[Any], tuple[Any, ...]]) -> Any:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


_ORDER: dict[str, Callable[[tuple[Any, ...], tuple[Any, ...]], bool]] = {
    "__lt__": lambda a, b: a < b,
    "__le__": lambda a, b: a <= b,
    "__gt__": lambda a, b: a > b,
    "__ge__": lambda a, b: a >= b,
}


_Test = Callable[[tuple[Any, ...], tuple[Any, ...]], bool]


def _make_order(values: Callable[[Any], tuple[Any, ...]], test: _Test) -> Any:
    def compare(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return test(values(self), values(other))
        return NotImplemented

    return compare


def _frozen_setattr(cls: type, names: set[str]) -> Any:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cast(Any, cls), self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls: type, names: set[str]) -> Any:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cast(Any, cls), self).__delattr__(name)

    return __delattr__
