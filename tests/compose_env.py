"""Docker Compose's own ``.env`` and ``${VAR}`` rules, in Python, for tests without Compose.

Compose (v2 and later) reads ``.env`` with compose-go's ``dotenv`` package and
interpolates the compose file with compose-go's ``template`` package. python-dotenv is
*not* that parser: it drops ``   # comment`` after a blank value, Compose keeps it as the
value. This module is a line-by-line port of compose-go (``dotenv/parser.go`` and
``template/template.go``, compose-spec/compose-go at e70e961c, 2026-07-21), so a test can
see a file exactly as ``docker compose`` will. Where the Docker CLI has the compose plugin,
``tests/integration/test_compose.py`` also runs ``docker compose config`` on the same files.

The rules that matter for sentra's ``.env.example``:

* an unquoted value runs to the end of the line; an inline comment is cut only at the
  first ``" #"`` (blank then hash), *after* the blanks following ``=`` were stripped, so
  ``KEY=   # note`` is the value ``# note``;
* single quotes are literal, double quotes take ``\\n``-style escapes and ``${VAR}``;
* ``${VAR:?msg}`` fails when VAR is unset *or empty*, ``${VAR?msg}`` only when unset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["DotenvError", "MissingRequiredError", "interpolate", "parse_dotenv"]


class DotenvError(ValueError):
    """The file is not valid for Compose (the message carries the line number)."""


class MissingRequiredError(ValueError):
    """``${VAR:?reason}`` met an empty or unset VAR: Compose refuses to go on."""

    def __init__(self, variable: str, reason: str) -> None:
        self.variable = variable
        self.reason = reason
        super().__init__(
            f"required variable {variable} is missing a value" + (f": {reason}" if reason else "")
        )


_SPACE = "\t\v\f\r \x85\xa0"  # compose-go isSpace: blanks, never a line break
_EXPORT = re.compile(r"^export\s+")
_ESCAPE = re.compile(r"(\\(?:[abcfnrtv$\"\\]|0\d{0,3}))")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "c": "\\c",  # not a Go escape: UnquoteChar fails and the match is kept
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "\\": "\\",
}


def parse_dotenv(text: str, lookup: Callable[[str], str | None] | None = None) -> dict[str, str]:
    """``text`` read as Compose reads a ``.env`` file: ``{name: value}``."""
    out: dict[str, str] = {}
    look = lookup or (lambda _name: None)
    line = 1
    rest = text
    while True:
        rest, line = _statement_start(rest, line)
        if not rest:
            return out
        key, rest, inherited, line = _key(rest, line)
        if " " in key:
            raise DotenvError(f"line {line}: key cannot contain a space")
        if inherited:
            value = look(key)
            if value is not None:
                out[key] = value
            continue
        value, rest, line = _value(rest, out, look, line)
        out[key] = value


def _statement_start(src: str, line: int) -> tuple[str, int]:
    while True:
        pos = -1
        for i, ch in enumerate(src):
            if ch == "\n":
                line += 1
            if not ch.isspace():
                pos = i
                break
        if pos == -1:
            return "", line
        src = src[pos:]
        if src[0] != "#":
            return src, line
        newline = src.find("\n")
        if newline == -1:
            return "", line
        src = src[newline:]


def _key(src: str, line: int) -> tuple[str, str, bool, int]:
    if _EXPORT.match(src):
        src = src.removeprefix("export").lstrip(_SPACE)
    key, offset, inherited = "", 0, False
    for i, ch in enumerate(src):
        if ch in _SPACE:
            continue
        if ch in "=:\n":
            key, offset, inherited = src[:i], i + 1, ch == "\n"
            break
        if ch in "_.-[]" or ch.isalpha() or ch.isnumeric():
            continue
        first = src.split("\n", 1)[0]
        raise DotenvError(f"line {line}: unexpected character {ch!r} in variable name {first!r}")
    else:
        # compose-go leaves key empty and carries on; the value parser then fails or not
        offset = len(src)
    if inherited and " " not in key:
        line += 1
    return key.rstrip(), src[offset:].lstrip(_SPACE), inherited, line


def _value(
    src: str, env: Mapping[str, str], look: Callable[[str], str | None], line: int
) -> tuple[str, str, int]:
    if not src or src[0] not in "'\"":
        value, _, rest = src.partition("\n")
        line += 1
        value = value.split(" #", 1)[0].rstrip()
        return _expand_variables(value, env, look), rest, line
    quote = src[0]
    escaped = False
    chars: list[str] = []
    for i in range(1, len(src)):
        ch = src[i]
        if ch == "\n":
            line += 1
        if ch != quote:
            if not escaped and ch == "\\":
                escaped = True
                continue
            if escaped:
                escaped = False
                chars.append("\\")
            chars.append(ch)
            continue
        if escaped:
            escaped = False
            chars.append(ch)
            continue
        value = "".join(chars)
        if quote == '"':
            value = _expand_variables(_expand_escapes(value), env, look)
        return value, src[i + 1 :], line
    end = src.find("\n")
    raise DotenvError(f"line {line}: unterminated quoted value {src[: end if end != -1 else None]}")


def _expand_escapes(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        seq = match.group(1)
        if seq == "\\$":
            return "$$"
        if seq.startswith("\\0"):
            digits = seq[2:]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                return chr(int(digits, 8))
            return seq  # Go's UnquoteChar wants exactly three octal digits
        return _SIMPLE_ESCAPES[seq[1]]

    return _ESCAPE.sub(one, value)


def _expand_variables(value: str, env: Mapping[str, str], look: Callable[[str], str | None]) -> str:
    """A ``.env`` value may use variables defined above it or in the environment."""

    def mapping(name: str) -> str | None:
        if name in env:
            return env[name]
        return look(name)

    return interpolate(value, mapping)


# --- template.go --------------------------------------------------------------------------

_NAME = r"[_a-z][_a-z0-9]*"


def interpolate(template: str, mapping: Callable[[str], str | None] | Mapping[str, str]) -> str:
    """``template`` with ``$VAR``/``${VAR...}`` replaced as Compose does; ``$$`` is ``$``.

    Raises :class:`MissingRequiredError` for ``${VAR:?}`` / ``${VAR?}`` as Compose does.
    """
    look = mapping.get if isinstance(mapping, Mapping) else mapping
    out: list[str] = []
    pos = 0
    while True:
        start = template.find("$", pos)
        if start == -1:
            out.append(template[pos:])
            return "".join(out)
        out.append(template[pos:start])
        rest = template[start:]
        if rest.startswith("$$"):
            out.append("$")
            pos = start + 2
            continue
        if rest.startswith("${"):
            close = _closing_brace(rest)
            if close == -1:
                raise DotenvError(f"invalid template: {template!r}")
            inner = rest[2:close]
            out.append(_braced(inner, look, template))
            pos = start + close + 1
            continue
        named = re.match(rf"\$({_NAME})", rest, re.IGNORECASE)
        if named is None:
            raise DotenvError(f"invalid template: {template!r}")
        out.append(look(named.group(1)) or "")
        pos = start + named.end()


def _closing_brace(s: str) -> int:
    """The ``}`` closing the ``${`` at 0, nested ``${...}`` counted (getFirstBraceClosingIndex)."""
    depth = 0
    i = 0
    while i < len(s):
        if s.startswith("${", i):
            depth += 1
            i += 2
            continue
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _braced(inner: str, look: Callable[[str], str | None], template: str) -> str:
    for sep in (":?", "?", ":-", "-", ":+", "+"):
        name, found, arg = inner.partition(sep)
        if found and re.fullmatch(_NAME, name, re.IGNORECASE):
            value = look(name)
            if sep == ":?":
                if not value:
                    raise MissingRequiredError(name, interpolate(arg, look))
                return value
            if sep == "?":
                if value is None:
                    raise MissingRequiredError(name, interpolate(arg, look))
                return value
            if sep == ":-":
                return value if value else interpolate(arg, look)
            if sep == "-":
                return value if value is not None else interpolate(arg, look)
            if sep == ":+":
                return interpolate(arg, look) if value else ""
            return interpolate(arg, look) if value is not None else ""
    if re.fullmatch(_NAME, inner, re.IGNORECASE):
        return look(inner) or ""
    raise DotenvError(f"invalid template: {template!r}")
