"""A JSON Schema compiler for the keyword subset Skills Passport's schemas use.

Verification runs on every scan, and a general validator spends most of a verification's
time walking the credential. This turns a schema into straight-line Python that answers
only valid / invalid; when a document is invalid, jsonschema (the reference implementation)
explains why. Keywords outside `SUPPORTED` are refused at compile time rather than ignored,
and the tests compare both engines on valid documents and thousands of mutations of them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

SUPPORTED = frozenset({
    "$schema", "$id", "$ref", "$defs", "title", "description", "format",
    "type", "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "items", "minItems", "maxItems", "uniqueItems", "contains",
    "properties", "required", "additionalProperties", "oneOf", "anyOf", "allOf",
})
_TYPE_TEST = {
    "string": "type({v}) is str",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
    "number": "type({v}) in _NUM",
    "boolean": "type({v}) is bool",
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "null": "{v} is None",
}


class UnsupportedSchema(ValueError):
    pass


# -- `pattern`: ECMA-262 regular expressions, as JSON Schema defines them ----------------------
# JSON Schema's `pattern` is an ECMA-262 regular expression (the phone page runs it as
# `new RegExp(p, "u")`), not a Python one. Python's `$` also matches before a final "\n", its
# `.` matches "\r", U+2028 and U+2029, and its `\d`, `\w`, `\b` match non-ASCII digits and
# letters: "https://c9.example\n" or "7\n" would pass here and fail on every phone. Each
# pattern is translated to a Python one with ECMA's meaning; a construct whose meanings differ
# and that is not translated here is refused when the schema is compiled, never guessed.
_ECMA_DOT = r"[^\n\r\u2028\u2029]"
_REFUSED_ESCAPES = {"s": "\\s (ECMA's whitespace is Unicode's)", "S": "\\S",
                    "A": "\\A (not ECMA)", "Z": "\\Z (not ECMA)", "z": "\\z (not ECMA)",
                    "G": "\\G (not ECMA)"}
_CLASS_ESCAPED = frozenset("[&~|")  # literal in an ECMA class; Python may read them as set syntax


@functools.cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled to match exactly what ECMA-262 (with the "u" flag) matches."""
    out: list[str] = []
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise UnsupportedSchema(f"pattern {pattern!r} ends with a lone backslash")
            nxt = pattern[i + 1]
            if nxt in _REFUSED_ESCAPES:
                raise UnsupportedSchema(f"pattern {pattern!r}: {_REFUSED_ESCAPES[nxt]} is not "
                                        "supported")
            out.append(c + nxt)
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append(c)
            else:
                out.append("\\" + c if c in _CLASS_ESCAPED else c)
        elif c == "[":
            if pattern.startswith(("[]", "[^]"), i):
                raise UnsupportedSchema(f"pattern {pattern!r}: an empty class ([] or [^]) means "
                                        "something else in Python")
            in_class = True
            out.append("[^" if pattern.startswith("[^", i) else "[")
            i += 2 if pattern.startswith("[^", i) else 1
            continue
        elif c == "$":
            out.append("\\Z")  # the end of the text, never before a final "\n"
        elif c == ".":
            out.append(_ECMA_DOT)
        elif c == "(" and pattern.startswith("(?", i) \
                and not pattern.startswith(("(?:", "(?=", "(?!"), i):
            raise UnsupportedSchema(f"pattern {pattern!r}: only (?:, (?= and (?! groups are "
                                    "supported")
        else:
            out.append(c)
        i += 1
    if in_class:
        raise UnsupportedSchema(f"pattern {pattern!r}: a character class is not closed")
    try:
        # ASCII: ECMA's \d, \w and \b (without the "i" flag) know ASCII digits and letters only.
        return re.compile("".join(out), re.ASCII)
    except re.error as exc:
        raise UnsupportedSchema(f"pattern {pattern!r}: {exc}") from None


def _strings_only(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema defines it: 1 == 1.0, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


_LEAF_WORDS = frozenset({"type", "pattern", "minLength", "maxLength", "minimum", "maximum",
                         "const", "enum", "format", "title", "description"})


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and set(node) <= _LEAF_WORDS


def _unique(items: list[Any]) -> bool:
    return all(not _json_equal(items[i], items[j])
               for i in range(len(items)) for j in range(i + 1, len(items)))


_GUARD = re.compile(r"( *)if not \((.*)\): return False\n")


def _merge_guards(lines: list[str]) -> list[str]:
    """Consecutive `if not (c): return False` lines at one indentation as one test: the same
    conditions, tried in the same order (`and` stops at the first false), with fewer jumps."""
    out: list[str] = []
    group: list[str] = []
    indent = ""

    def flush() -> None:
        if group:
            out.append(f"{indent}if not ({' and '.join(f'({c})' for c in group)}): return False\n"
                       if len(group) > 1 else f"{indent}if not ({group[0]}): return False\n")
            group.clear()

    for line in lines:
        m = _GUARD.fullmatch(line)
        if m and (not group or m.group(1) == indent):
            indent = m.group(1)
            group.append(m.group(2))
            continue
        flush()
        if m:
            indent = m.group(1)
            group.append(m.group(2))
        else:
            out.append(line)
    flush()
    return out


class _Compiler:
    def __init__(self, documents: dict[str, dict[str, Any]], prefix: str = "") -> None:
        self.documents = documents
        self.functions: dict[str, str] = {}  # absolute pointer -> function name
        self.source: list[str] = []
        self.env: dict[str, Any] = {"_NUM": (int, float), "_eq": _json_equal, "_unique": _unique}
        self.counter = 0
        self.prefix = prefix
        # Each constant as Python source, for `module_source`: a module of compiled schemas
        # imports from bytecode instead of compiling at every start.
        self.literals: dict[str, str] = {}

    def constant(self, value: Any, literal: str | Callable[[str], str] | None = None) -> str:
        """A module-level name for `value`; `literal` is its source in the generated module
        (a function of the name, for a value that rebinds its own name)."""
        self.counter += 1
        name = f"_C{self.prefix}{self.counter}"
        self.env[name] = value
        self.literals[name] = _literal(value) if literal is None else \
            literal if isinstance(literal, str) else literal(name)
        return name

    def resolve(self, base: str, ref: str) -> tuple[str, Any]:
        target = urljoin(base, ref)
        uri, _, pointer = target.partition("#")
        node: Any = self.documents[uri]
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return uri, node

    def function(self, base: str, pointer: str, node: Any) -> str:
        key = f"{base}#{pointer}"
        if key in self.functions:
            return self.functions[key]
        self.counter += 1
        name = f"_v{self.prefix}{self.counter}"
        self.functions[key] = name
        body: list[str] = []  # one source line per entry: callers re-indent entry by entry
        self.emit(base, pointer, node, "x", body, 1)
        self.source.append(f"def {name}(x):\n" + "".join(_merge_guards(body))
                           + "    return True\n")
        return name

    def emit(self, base: str, ptr: str, node: Any, v: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        if node is True or node == {}:
            return
        if node is False:
            out.append(f"{pad}return False\n")
            return
        unknown = set(node) - SUPPORTED
        if unknown:
            raise UnsupportedSchema(f"{base}#{ptr}: unsupported keyword(s) {sorted(unknown)}")
        base = node.get("$id", base)

        def fail_unless(cond: str) -> None:
            out.append(f"{pad}if not ({cond}): return False\n")

        if "$ref" in node:
            uri, target = self.resolve(base, node["$ref"])
            if _is_leaf(target):
                self.emit(uri, "", target, v, out, depth)  # small string rules: inline them
            else:
                fn = self.function(uri, urljoin(base, node["$ref"]).partition("#")[2], target)
                fail_unless(f"{fn}({v})")
        known = None  # the one type `v` is known to have once the type test passed
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            fail_unless(" or ".join(_TYPE_TEST[t].format(v=v) for t in types))
            known = types[0] if len(types) == 1 else None
        if "const" in node:
            c = node["const"]
            if _strings_only(c):
                fail_unless(f"type({v}) is {type(c).__name__} and {v} == {self.constant(c)}")
            elif c is None or isinstance(c, bool):  # JSON's true, false and null: singletons
                fail_unless(f"{v} is {c!r}")
            else:
                fail_unless(f"_eq({v}, {self.constant(c)})")
        if "enum" in node:
            if all(isinstance(e, str) for e in node["enum"]):
                fail_unless(f"type({v}) is str and {v} in {self.constant(frozenset(node['enum']))}")
            else:
                fail_unless(f"any(_eq({v}, e) for e in {self.constant(node['enum'])})")
        # Keywords apply only to values of their type; the guard is dropped when the type is known.
        not_str = "" if known == "string" else f"not type({v}) is str or "
        not_num = "" if known in ("number", "integer") else f"not type({v}) in _NUM or "
        if "pattern" in node:
            pattern = node["pattern"]
            compiled = ecma_regex(pattern)
            # The generated module holds the pattern translated: no start translates it again.
            search = self.constant(
                compiled.search,
                lambda name: f"_python_search({compiled.pattern!r}, globals(), {name!r})")
            fail_unless(f"{not_str}{search}({v})")
        if "minLength" in node:
            fail_unless(f"{not_str}len({v}) >= {int(node['minLength'])}")
        if "maxLength" in node:
            fail_unless(f"{not_str}len({v}) <= {int(node['maxLength'])}")
        if "minimum" in node:
            fail_unless(f"{not_num}{v} >= {node['minimum']!r}")
        if "maximum" in node:
            fail_unless(f"{not_num}{v} <= {node['maximum']!r}")
        self.emit_array(base, ptr, node, v, out, depth, known == "array")
        self.emit_object(base, ptr, node, v, out, depth, known == "object")
        for word in ("allOf", "anyOf", "oneOf"):
            if word in node:
                fns = [self.function(base, f"{ptr}/{word}/{i}", sub)
                       for i, sub in enumerate(node[word])]
                calls = ", ".join(f"{f}({v})" for f in fns)
                test = {"allOf": f"all(({calls},))", "anyOf": f"any(({calls},))",
                        "oneOf": f"sum(({calls},)) == 1"}[word]
                fail_unless(test)

    def emit_array(self, base: str, ptr: str, node: Any, v: str, out: list[str], depth: int,
                   known: bool) -> None:
        words = {"items", "minItems", "maxItems", "uniqueItems", "contains"} & set(node)
        if not words:
            return
        pad = "    " * depth
        out.append(f"{pad}if {'True' if known else f'type({v}) is list'}:\n")
        inner = "    " * (depth + 1)
        if "minItems" in node:
            out.append(f"{inner}if len({v}) < {int(node['minItems'])}: return False\n")
        if "maxItems" in node:
            out.append(f"{inner}if len({v}) > {int(node['maxItems'])}: return False\n")
        if node.get("uniqueItems") is True:
            out.append(f"{inner}if not _unique({v}): return False\n")
        if "items" in node:
            fn = self.function(base, f"{ptr}/items", node["items"])
            out.append(f"{inner}for _i in {v}:\n")
            out.append(f"{inner}    if not {fn}(_i): return False\n")
        if "contains" in node:
            fn = self.function(base, f"{ptr}/contains", node["contains"])
            out.append(f"{inner}if not any({fn}(_i) for _i in {v}): return False\n")
        out.append(f"{inner}pass\n")

    def emit_object(self, base: str, ptr: str, node: Any, v: str, out: list[str], depth: int,
                    known: bool) -> None:
        words = {"properties", "required", "additionalProperties"} & set(node)
        if not words:
            return
        pad = "    " * depth
        inner = "    " * (depth + 1)
        out.append(f"{pad}if {'True' if known else f'type({v}) is dict'}:\n")
        required = node.get("required", [])
        props = node.get("properties", {})
        extra = node.get("additionalProperties", True)
        if extra is False and set(required) == set(props):
            # A closed object whose members are all required: its keys are exactly those.
            out.append(f"{inner}if {v}.keys() != {self.constant(frozenset(props))}: "
                       "return False\n")
        elif extra is False and required:
            out.append(f"{inner}if not {self.constant(frozenset(required))} <= {v}.keys() <= "
                       f"{self.constant(frozenset(props))}: return False\n")
        elif required:
            out.append(f"{inner}if not {self.constant(frozenset(required))} <= {v}.keys(): "
                       "return False\n")
        if extra is False and not required:
            out.append(f"{inner}if not {v}.keys() <= {self.constant(frozenset(props))}: "
                       "return False\n")
        elif extra is not True and extra is not False:
            fn = self.function(base, f"{ptr}/additionalProperties", extra)
            out.append(f"{inner}for _k in {v}.keys() - {self.constant(frozenset(props))}:\n")
            out.append(f"{inner}    if not {fn}({v}[_k]): return False\n")
        for i, (name, sub) in enumerate(props.items()):
            var = f"{v}_{i}"
            key = json.dumps(name)
            body: list[str] = []
            self.emit(base, f"{ptr}/properties/{name}", sub, var, body, depth + 2)
            if not body:
                continue
            if name in required:
                out.append(f"{inner}{var} = {v}[{key}]\n")
                out.extend(line[4:] for line in body)
            else:
                out.append(f"{inner}if {key} in {v}:\n")
                out.append(f"{inner}    {var} = {v}[{key}]\n")
                out.extend(body)
        out.append(f"{inner}pass\n")


def _literal(value: Any) -> str:
    """A constant as Python source that evaluates to it, the same in every run (a frozenset's
    own repr follows string hashing, which changes from run to run)."""
    if isinstance(value, frozenset):
        return "frozenset((" + "".join(f"{x!r}, " for x in sorted(value)) + "))"
    return repr(value)  # JSON values: str, int, float, bool, None, list, dict


def _python_search(pattern: str, namespace: dict[str, Any] | None = None,
                   name: str = "") -> Callable[[str], re.Match[str] | None]:
    """The search of a pattern as `ecma_regex` translated it (the generated module's form),
    compiled when first used: the generated module names every schema's patterns, and a
    verification uses few of them. Once compiled, the module's name (`namespace[name]`) is
    bound to the compiled pattern's own search, so later checks make no extra call."""

    def search(text: str) -> re.Match[str] | None:
        compiled = _compiled(pattern)
        if namespace is not None:
            namespace[name] = compiled.search
        return compiled.search(text)

    return search


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def module_source(roots: dict[str, dict[str, Any]], documents: dict[str, dict[str, Any]],
                  digest: str) -> str:
    """A Python module holding the compiled validators of `roots` (name -> schema): `ENTRIES`
    maps each name to its function, `DIGEST` names the schema files it was made from."""
    head = ['"""Validators compiled from schemas/*.json by passport.schemac: generated by',
            "tools/schema_module.py, never edited. passport.schema uses them only while DIGEST",
            'matches the schema files; otherwise it compiles the schemas at run time."""',
            "# mypy: ignore-errors", "# ruff: noqa", "",
            "from passport.schemac import _json_equal as _eq, _python_search, _unique", "",
            "_NUM = (int, float)", f"DIGEST = {digest!r}", ""]
    body: list[str] = []
    entries: list[str] = []
    for n, (name, root) in enumerate(sorted(roots.items()), 1):
        compiler = _Compiler(documents, prefix=f"{n}_")
        entry = compiler.function(root["$id"], "", root)
        head += [f"{k} = {v}" for k, v in compiler.literals.items()]
        body += compiler.source
        entries.append(f"    {name!r}: {entry},")
    return "\n".join([*head, "", "", *body, "ENTRIES = {", *entries, "}", ""])


def compile_schema(root: dict[str, Any], documents: dict[str, dict[str, Any]]) -> Callable[[Any], bool]:
    """Compile `root` (its `$id` must be a key of `documents`) into `is_valid(document)`."""
    compiler = _Compiler(documents)
    entry = compiler.function(root["$id"], "", root)
    code = "\n".join(compiler.source)
    namespace = dict(compiler.env)
    exec(compile(code, f"<schema {root['$id']}>", "exec"), namespace)
    fn: Callable[[Any], bool] = namespace[entry]
    return fn
