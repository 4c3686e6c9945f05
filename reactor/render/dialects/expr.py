"""Safe arithmetic for ISF ``WIDTH``/``HEIGHT`` expressions (no ``eval``).

Grammar: numbers, ``$NAME`` variables (``$WIDTH``, ``$HEIGHT``, any input), ``+ - * / %``,
``^`` or ``**`` (power), unary minus, parentheses, comparison ``< <= > >= == !=`` (1 or 0), the
ternary ``a ? b : c``, and the functions ``floor ceil round abs min max pow sqrt clamp log exp``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

from reactor.errors import ShaderError

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|\$?([A-Za-z_]\w*)|"
                    r"(\*\*|<=|>=|==|!=|&&|\|\||[-+*/%^(),?:<>!]))")
_FUNCS = {"floor": (1, math.floor), "ceil": (1, math.ceil), "round": (1, lambda x: math.floor(x + 0.5)),
          "abs": (1, abs), "sqrt": (1, lambda x: math.sqrt(max(x, 0.0))), "log": (1, lambda x: math.log(max(x, 1e-30))),
          "exp": (1, math.exp), "min": (2, min), "max": (2, max), "pow": (2, lambda a, b: math.pow(abs(a), b)),
          "clamp": (3, lambda x, a, b: min(max(x, a), b))}
_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b if b else 0.0, "%": lambda a, b: math.fmod(a, b) if b else 0.0,
           "^": lambda a, b: math.pow(abs(a), b), "**": lambda a, b: math.pow(abs(a), b),
           "<": lambda a, b: float(a < b), "<=": lambda a, b: float(a <= b), ">": lambda a, b: float(a > b),
           ">=": lambda a, b: float(a >= b), "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b),
           "&&": lambda a, b: float(bool(a) and bool(b)), "||": lambda a, b: float(bool(a) or bool(b))}
_LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%"))


@dataclass(frozen=True)
class Expr:
    """A parsed expression; ``evaluate(values)`` -> float. ``names`` are its variables."""

    text: str
    tree: tuple
    names: frozenset

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value with ``values`` for the variables (a missing one is 0)."""
        return float(_eval(self.tree, values))


def parse_expr(text, *, where: str) -> Expr:
    """Parse ``text`` (a str, or a number as JSON gives it).

    Raises
    ------
    ShaderError
        One line: ``where: bad size expression '...': reason``.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ShaderError(f"{where}: size must be a number or an expression string, got {text!r}")
    src = str(text)
    tokens, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None or m.end() == pos:
            if src[pos:].strip() == "":
                break
            raise ShaderError(f"{where}: bad size expression {src!r}: unexpected {src[pos:].strip()[:10]!r}")
        pos = m.end()
        if m.group(1) is not None:
            tokens.append(("num", float(m.group(1))))
        elif m.group(2) is not None:
            tokens.append(("name", m.group(2)))
        else:
            tokens.append(("op", m.group(3)))
    parser = _Parser(tokens, src, where)
    tree = parser.ternary()
    if parser.i != len(tokens):
        raise ShaderError(f"{where}: bad size expression {src!r}: unexpected {tokens[parser.i][1]!r}")
    return Expr(text=src, tree=tree, names=frozenset(parser.names))


class _Parser:
    def __init__(self, tokens, src, where):
        self.t, self.i, self.src, self.where, self.names = tokens, 0, src, where, set()

    def _fail(self, why: str):
        raise ShaderError(f"{self.where}: bad size expression {self.src!r}: {why}")

    def _peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def _take(self, op):
        if self._peek() == ("op", op):
            self.i += 1
            return True
        return False

    def ternary(self):
        cond = self.binary(0)
        if self._take("?"):
            a = self.ternary()
            if not self._take(":"):
                self._fail("'?' without ':'")
            return ("?", cond, a, self.ternary())
        return cond

    def binary(self, level):
        if level == len(_LEVELS):
            return self.power()
        left = self.binary(level + 1)
        while self._peek()[0] == "op" and self._peek()[1] in _LEVELS[level]:
            op = self.t[self.i][1]
            self.i += 1
            left = (op, left, self.binary(level + 1))
        return left

    def power(self):
        base = self.unary()
        if self._peek()[0] == "op" and self._peek()[1] in ("^", "**"):
            op = self.t[self.i][1]
            self.i += 1
            return (op, base, self.power())
        return base

    def unary(self):
        if self._take("-"):
            return ("neg", self.unary())
        if self._take("+"):
            return self.unary()
        if self._take("!"):
            return ("not", self.unary())
        return self.atom()

    def atom(self):
        kind, value = self._peek()
        if kind is None:
            self._fail("ends too early")
        self.i += 1
        if kind == "num":
            return ("num", value)
        if kind == "name":
            if self._take("("):
                if value not in _FUNCS:
                    self._fail(f"unknown function {value!r} (allowed: {', '.join(sorted(_FUNCS))})")
                args = [self.ternary()]
                while self._take(","):
                    args.append(self.ternary())
                if not self._take(")"):
                    self._fail("missing ')'")
                if len(args) != _FUNCS[value][0]:
                    self._fail(f"{value}() takes {_FUNCS[value][0]} argument(s)")
                return ("call", value, tuple(args))
            self.names.add(value)
            return ("var", value)
        if value == "(":
            inner = self.ternary()
            if not self._take(")"):
                self._fail("missing ')'")
            return inner
        self._fail(f"unexpected {value!r}")


def _eval(node, values):
    op = node[0]
    if op == "num":
        return node[1]
    if op == "var":
        v = values.get(node[1], 0.0)
        return float(v[0]) if isinstance(v, (tuple, list)) else float(v)
    if op == "neg":
        return -_eval(node[1], values)
    if op == "not":
        return float(not _eval(node[1], values))
    if op == "?":
        return _eval(node[2], values) if _eval(node[1], values) else _eval(node[3], values)
    if op == "call":
        return float(_FUNCS[node[1]][1](*(_eval(a, values) for a in node[2])))
    try:
        return _BINARY[op](_eval(node[1], values), _eval(node[2], values))
    except (OverflowError, ValueError):
        return 0.0
