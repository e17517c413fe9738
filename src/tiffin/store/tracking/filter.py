"""A small, real parser for MLflow's run filter and order-by strings (no ``eval``, no sqlparse).

Why a parser: the filter comes from clients, so it must become data (a list of comparisons)
that :mod:`tiffin.store.tracking.search` compiles into bound SQL parameters, never text spliced into
a query. It accepts MLflow's common subset::

    metrics.acc > 0.9 and params.optimizer = 'adam' and tags.`team name` LIKE 'ml%'
    attributes.status = 'FINISHED' and run_name ILIKE 'base%' and run_id IN ('a1', 'b2')

Identifiers are ``<prefix>.<key>`` (prefixes ``metrics``, ``params``, ``tags``, ``attributes``
and MLflow's singular/short spellings) or a bare attribute name; keys may be quoted with
backticks or double quotes. Metrics and time attributes compare with ``= != < <= > >=``
against numbers; params, tags and text attributes with ``= != LIKE ILIKE IN NOT IN`` against
quoted strings. Clauses join with ``AND`` (MLflow has no ``OR`` either). A mistake raises
SchemaError saying where it is.

Example:
    >>> from tiffin.store.tracking.filter import parse_filter
    >>> parse_filter("metrics.acc > 0.9 and params.opt = 'adam'")[0]
    Comparison(kind='metric', key='acc', op='>', value=0.9)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tiffin.errors import SchemaError

__all__ = [
    "ATTRIBUTES",
    "Comparison",
    "OrderKey",
    "parse_filter",
    "parse_order_by",
]

#: attribute name -> "number" or "string"; the name is what filters and order-by accept
ATTRIBUTES = {
    "artifact_uri": "string",
    "end_time": "number",
    "run_id": "string",
    "run_name": "string",
    "start_time": "number",
    "status": "string",
}
_ATTRIBUTE_ALIASES = {"run_uuid": "run_id", "name": "run_name"}
_PREFIXES = {
    **dict.fromkeys(("metric", "metrics"), "metric"),
    **dict.fromkeys(("param", "params", "parameter", "parameters"), "param"),
    **dict.fromkeys(("tag", "tags"), "tag"),
    **dict.fromkeys(("attribute", "attributes", "attr", "run"), "attribute"),
}
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_KEYWORDS = ("AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "ASC", "DESC")
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<ident>[A-Za-z_]\w*(?:\.(?:`[^`]*`|"[^"]*"|[\w.\-/:]+))?)
    |(?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    |(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<op><=|>=|!=|<>|==|=|<|>)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Comparison:
    """One ``<identifier> <op> <value>`` clause; ``kind`` is metric, param, tag or attribute.

    Example:
        >>> Comparison("param", "opt", "=", "adam").kind
        'param'
    """

    kind: str
    key: str
    op: str
    value: float | str | tuple[str, ...]


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` item: what to sort on and which way.

    Example:
        >>> parse_order_by("metrics.acc DESC")
        OrderKey(kind='metric', key='acc', ascending=False)
    """

    kind: str
    key: str
    ascending: bool


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, string, number, op, punct, keyword, end
    text: str
    pos: int


def _tokens(source: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            what = "unterminated string" if source[pos] in "'\"`" else "unexpected character"
            raise _error(source, pos, f"{what} {source[pos]!r}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "ident" and text.upper() in _KEYWORDS:
            kind, text = "keyword", text.upper()
        if kind != "ws":
            out.append(_Token(kind, text, pos))
        pos = match.end()
    out.append(_Token("end", "", len(source)))
    return out


def _error(source: str, pos: int, message: str) -> SchemaError:
    near = source[pos : pos + 20] or "end of input"
    return SchemaError(
        f"bad search expression {source!r} at position {pos} (near {near!r}): {message}"
    )


def _unquote(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def _identifier(source: str, token: _Token) -> tuple[str, str]:
    if token.kind != "ident":
        raise _error(source, token.pos, "expected an identifier such as metrics.acc or run_name")
    prefix, dot, key = token.text.partition(".")
    if not dot:
        prefix, key = "attribute", prefix
    elif key[:1] in ("`", '"'):
        key = key[1:-1]
    kind = _PREFIXES.get(prefix.lower())
    if kind is None:
        raise _error(
            source,
            token.pos,
            f"unknown prefix {prefix!r}; use metrics., params., tags. or attributes.",
        )
    if not key:
        raise _error(source, token.pos, "empty key")
    if kind == "attribute":
        key = _ATTRIBUTE_ALIASES.get(key, key)
        if key not in ATTRIBUTES:
            raise _error(
                source, token.pos, f"unknown attribute {key!r}; attributes: {sorted(ATTRIBUTES)}"
            )
    return kind, key


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def fail(self, message: str, token: _Token | None = None) -> SchemaError:
        return _error(self.source, (token or self.peek()).pos, message)

    def operator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return {"==": "=", "<>": "!="}.get(token.text, token.text)
        if token.kind == "keyword" and token.text in ("LIKE", "ILIKE", "IN"):
            return token.text
        if token.kind == "keyword" and token.text == "NOT" and self.peek().text == "IN":
            self.take()
            return "NOT IN"
        raise self.fail("expected an operator (= != < <= > >= LIKE ILIKE IN NOT IN)", token)

    def value(self, op: str) -> float | str | tuple[str, ...]:
        token = self.take()
        if op in ("IN", "NOT IN"):
            if token.text != "(":
                raise self.fail(f"{op} needs a list like ('a', 'b')", token)
            items = [self.string(self.take())]
            while self.peek().text == ",":
                self.take()
                items.append(self.string(self.take()))
            if self.take().text != ")":
                raise self.fail("expected ',' or ')' in the list", self.tokens[self.at - 1])
            return tuple(items)
        if token.kind == "number":
            return float(token.text)
        return self.string(token)

    def string(self, token: _Token) -> str:
        if token.kind != "string":
            raise self.fail("expected a quoted string or a number", token)
        return _unquote(token.text)

    def comparison(self) -> Comparison:
        kind, key = _identifier(self.source, self.take())
        op_token = self.peek()
        op = self.operator()
        value = self.value(op)
        return _checked(Comparison(kind, key, op, value), lambda m: self.fail(m, op_token))


def _checked(comparison: Comparison, fail: Callable[[str], SchemaError]) -> Comparison:
    numeric = comparison.kind == "metric" or (
        comparison.kind == "attribute" and ATTRIBUTES[comparison.key] == "number"
    )
    what = f"{comparison.kind} {comparison.key!r}"
    if numeric:
        if comparison.op not in _NUMBER_OPS:
            raise fail(f"{what} is a number; use one of {' '.join(_NUMBER_OPS)}")
        if not isinstance(comparison.value, float):
            raise fail(f"{what} is a number; compare it with a number, not {comparison.value!r}")
        return comparison
    if comparison.op not in _STRING_OPS:
        raise fail(f"{what} is text; use one of {', '.join(_STRING_OPS)}")
    if isinstance(comparison.value, float):
        raise fail(f"{what} is text; quote the value: '{comparison.value:g}'")
    return comparison


def parse_filter(source: str | None) -> list[Comparison]:
    """The comparisons of an MLflow-style filter string (all joined by AND); ``""`` gives none.

    Example:
        >>> [c.key for c in parse_filter("tags.team = 'a' and attributes.status = 'FINISHED'")]
        ['team', 'status']
    """
    if source is None or not source.strip():
        return []
    parser = _Parser(source)
    clauses = [parser.comparison()]
    while parser.peek().kind != "end":
        token = parser.take()
        if token.text == "OR":
            raise parser.fail("OR is not supported (as in MLflow); run two searches", token)
        if token.text != "AND":
            raise parser.fail("expected AND or the end of the filter", token)
        clauses.append(parser.comparison())
    return clauses


def parse_order_by(item: str) -> OrderKey:
    """One ``order_by`` entry: ``<identifier> [ASC|DESC]``, ascending unless DESC.

    Example:
        >>> parse_order_by("start_time")
        OrderKey(kind='attribute', key='start_time', ascending=True)
    """
    if not isinstance(item, str) or not item.strip():
        raise SchemaError(f"order_by entries must be non-empty strings, got {item!r}")
    parser = _Parser(item)
    kind, key = _identifier(item, parser.take())
    ascending = True
    if parser.peek().text in ("ASC", "DESC"):
        ascending = parser.take().text == "ASC"
    if parser.peek().kind != "end":
        raise parser.fail("expected ASC, DESC or the end of the order_by entry")
    return OrderKey(kind, key, ascending)
