"""The problem records schema enforcement collects, and the one error that carries them all.

Enforcement never stops at the first mismatch: a caller fixing a request wants every problem at
once, and a scoring server wants them as data (:attr:`InputSchemaError.problems`) as well as
text. The message never embeds the whole input (MLflow does, which leaks data into logs and
makes 100 MB error strings); every piece of user data shown is cut to a few dozen characters.

Example:
    >>> p = Problem("age", expected="long", received="float64", detail="holds 3.5")
    >>> p.describe()
    "column 'age': expected long, received float64 (holds 3.5)"
    >>> print(InputSchemaError([p]))
    input does not match the model signature (1 problem):
    - column 'age': expected long, received float64 (holds 3.5)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tiffin.errors import SchemaError

__all__ = ["InputSchemaError", "MAX_LISTED", "Problem", "held_at", "rows_detail", "show"]

MAX_LISTED = 20
"""At most this many problems are written into the message (all are kept in ``problems``)."""

_SNIPPET = 40


def show(value: Any, limit: int = _SNIPPET) -> str:
    """``repr`` of user data, cut so that a message never carries more than ``limit`` chars of it.

    Example:
        >>> show("x" * 100)[-5:]
        'x...'
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def held_at(label: Any, value: Any) -> str:
    """``row 4817 holds 'abc' (str)``: the first offending cell of a column, its value and type.

    Every column problem about values names one this way, so a caller can find the bad cell in
    a frame of any size (the value is user data, so it is cut short).

    Example:
        >>> held_at(4817, "abc")
        "row 4817 holds 'abc' (str)"
    """
    label, value = _plain(label), _plain(value)
    return f"row {show(label, 20)} holds {show(value)} ({type(value).__name__})"


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it reads as (``12``, not ``np.int64(12)``)."""
    item = getattr(value, "item", None)
    return item() if callable(item) and getattr(value, "ndim", None) == 0 else value


def rows_detail(labels: Sequence[Any], total: int) -> str:
    """``rows [3, 7]`` naming the first few offending index labels (user data, so cut short).

    Example:
        >>> rows_detail([3, 7], 2)
        'rows [3, 7]'
    """
    shown = ", ".join(show(label, 20) for label in labels[:5])
    more = ", ..." if total > len(labels[:5]) else ""
    return f"rows [{shown}{more}]"


@dataclass(frozen=True)
class Problem:
    """One mismatch between data and signature.

    Attributes:
        field: The column, param or tensor name; its position for unnamed inputs; ``None`` when
            the problem is about the input as a whole.
        expected: What the signature asks for (a type name), or ``""``.
        received: What was found (a dtype or type name), or ``""``.
        detail: Anything else: an example value, a hint, or the whole story when there is no
            expected/received pair (``missing (required)``).
        kind: ``column``, ``param``, ``tensor`` or ``input``: how ``field`` is labelled.
        at: Where inside the field (``row 3, item 1``), for per-cell problems.
    """

    field: str | int | None
    expected: str = ""
    received: str = ""
    detail: str = ""
    kind: str = "column"
    at: str = ""

    def label(self) -> str:
        """``column 'age'``, ``column 0``, ``param 'k'`` or ``input``."""
        if self.field is None:
            return self.kind
        name = str(self.field) if isinstance(self.field, int) else show(self.field)
        return f"{self.kind} {name}"

    def describe(self) -> str:
        """The one line this problem contributes to the error message."""
        head = self.label() + (f" at {self.at}" if self.at else "")
        if self.expected and self.received:
            body = f"expected {self.expected}, received {self.received}"
            return f"{head}: {body} ({self.detail})" if self.detail else f"{head}: {body}"
        return f"{head}: {self.detail}"


def _message(problems: Sequence[Problem], what: str) -> str:
    count = len(problems)
    verb = "do" if what.endswith("s") else "does"
    lines = [f"{what} {verb} not match the model signature ({count} problem{'s' * (count != 1)}):"]
    lines += [f"- {p.describe()}" for p in problems[:MAX_LISTED]]
    if count > MAX_LISTED:
        lines.append(f"- ... and {count - MAX_LISTED} more (see the error's `problems`)")
    return "\n".join(lines)


class InputSchemaError(SchemaError):
    """A :class:`~tiffin.errors.SchemaError` listing every problem found, as text and as data.

    Args:
        problems: Every problem found (at least one).
        what: The subject of the first line: ``input`` or ``params``.

    Example:
        >>> err = InputSchemaError([Problem("k", kind="param", detail="not in the signature")])
        >>> err.problems[0].field
        'k'
    """

    def __init__(self, problems: Iterable[Problem], what: str = "input") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(_message(self.problems, what))
