"""A small reader and evaluator for the subset of Go that provider schemas are written in.

Provider schemas are Go values built from composite literals, constants, string
concatenation and calls to helper functions that return such literals. This module
tokenises Go source, parses expressions and straight-line function bodies, and evaluates
them to Python values. Anything it cannot evaluate (validators, plan modifiers, calls into
other modules) becomes OPAQUE: schemas only need to know that such a value is present.
It reads the fetched source tree; nothing of that source is copied into the repository.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field


class Opaque:
    """A value the evaluator does not compute (a validator, a func literal, ...)."""

    def __repr__(self) -> str:
        return "OPAQUE"


OPAQUE = Opaque()


@dataclass
class Struct:
    """A composite literal of a named struct type, e.g. schema.Schema{...}."""

    type: str
    fields: dict = field(default_factory=dict)

    def get(self, name, default=None):
        return self.fields.get(name, default)


@dataclass
class External:
    """A named value of a package outside the tree: schema.TypeString, types.StringType."""

    name: str


@dataclass
class Call:
    """A call into a package outside the tree, kept with its evaluated arguments
    (booldefault.StaticBool(true), schema.EnvDefaultFunc("X", nil), ...)."""

    name: str
    args: list


class GoError(Exception):
    pass


# ---------------------------------------------------------------- tokens

TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<rune>'(?:\\.|[^'\\\n])+')
  | (?P<num>0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.\.|<<=|>>=|&\^=|&&|\|\||<-|\+\+|--|==|!=|<=|>=|:=|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|&\^|[-+*/%&|^<>=!(){}\[\],;:.~])
    """,
    re.X | re.S,
)

SEMI_AFTER = {"ident", "num", "str", "raw", "rune"}
SEMI_AFTER_OPS = {")", "]", "}", "++", "--"}
SEMI_AFTER_KEYWORDS = {"return", "break", "continue", "fallthrough"}


@dataclass
class Tok:
    kind: str
    text: str


def tokenize(text: str, path: str = "") -> list[Tok]:
    tokens: list[Tok] = []
    pos = 0
    for match in TOKEN.finditer(text):
        if match.start() != pos:
            raise GoError(f"{path}: cannot read Go at offset {pos}: {text[pos:pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group()
        if kind in ("ws", "lcomment"):
            continue
        if kind == "bcomment":
            if "\n" in value:
                kind, value = "nl", "\n"
            else:
                continue
        if kind == "nl":
            if tokens and (
                tokens[-1].kind in SEMI_AFTER
                or (tokens[-1].kind == "op" and tokens[-1].text in SEMI_AFTER_OPS)
            ):
                tokens.append(Tok("op", ";"))
            continue
        if kind == "raw":
            kind = "str"
        tokens.append(Tok(kind, value))
    if pos != len(text):
        raise GoError(f"{path}: cannot read Go at offset {pos}")
    tokens.append(Tok("op", ";"))
    tokens.append(Tok("eof", ""))
    return tokens


def go_string(text: str) -> str:
    if text.startswith("`"):
        return text[1:-1]
    body = text[1:-1]
    out = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            if n == "x":
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            if n == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(n)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------- syntax tree
# Nodes are tuples: ("str", s) ("num", n) ("ident", name) ("sel", x, name)
# ("call", f, args) ("index", x, i) ("lit", type_node_or_None, [(key, value)])
# ("unary", op, x) ("binary", op, x, y) ("func",) ("type", text) ("paren", x)


class Parser:
    def __init__(self, tokens: list[Tok], path: str):
        self.t = tokens
        self.i = 0
        self.path = path

    def peek(self, k: int = 0) -> Tok:
        return self.t[min(self.i + k, len(self.t) - 1)]

    def next(self) -> Tok:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok.text == text and tok.kind in ("op", "ident")

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text != text:
            raise GoError(f"{self.path}: expected {text!r}, found {tok.text!r}")

    def skip_balanced(self) -> None:
        """Skips from an opening bracket to its matching closing bracket."""
        depth = 0
        while True:
            tok = self.next()
            if tok.kind == "eof":
                raise GoError(f"{self.path}: unbalanced brackets")
            if tok.kind == "op" and tok.text in "({[":
                depth += 1
            elif tok.kind == "op" and tok.text in ")}]":
                depth -= 1
                if depth == 0:
                    return

    # types ---------------------------------------------------------------
    def parse_type(self) -> str:
        """Reads a type and returns its text (enough to tell map/slice/struct types apart)."""
        tok = self.peek()
        if tok.text == "*":
            self.next()
            return "*" + self.parse_type()
        if tok.text == "[":
            self.next()
            if self.at("]"):
                self.next()
                return "[]" + self.parse_type()
            length = []
            while not self.at("]"):
                length.append(self.next().text)
            self.next()
            return "[" + "".join(length) + "]" + self.parse_type()
        if tok.text == "map":
            self.next()
            self.expect("[")
            key = self.parse_type()
            self.expect("]")
            return f"map[{key}]" + self.parse_type()
        if tok.text == "func":
            self.next()
            self.skip_balanced()
            # result: a type, a parenthesised list, or nothing
            if self.at("("):
                self.skip_balanced()
            elif self.peek().kind == "ident" or self.at("*") or self.at("["):
                self.parse_type()
            return "func"
        if tok.text in ("struct", "interface"):
            self.next()
            self.skip_balanced()
            return tok.text
        if tok.text == "chan":
            self.next()
            return "chan " + self.parse_type()
        if tok.kind == "ident":
            name = self.next().text
            if self.at(".") and self.peek(1).kind == "ident":
                self.next()
                name += "." + self.next().text
            if self.at("["):  # generic instantiation
                self.skip_balanced()
            return name
        raise GoError(f"{self.path}: expected a type, found {tok.text!r}")

    # expressions ---------------------------------------------------------
    PRECEDENCE = {
        "||": 1, "&&": 2,
        "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
        "+": 4, "-": 4, "|": 4, "^": 4,
        "*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5, "&^": 5,
    }

    def parse_expr(self, no_lit: bool = False, min_prec: int = 1):
        left = self.parse_unary(no_lit)
        while True:
            tok = self.peek()
            prec = self.PRECEDENCE.get(tok.text) if tok.kind == "op" else None
            if prec is None or prec < min_prec:
                return left
            self.next()
            right = self.parse_expr(no_lit, prec + 1)
            left = ("binary", tok.text, left, right)

    def parse_unary(self, no_lit: bool):
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("&", "-", "+", "!", "^", "*", "<-"):
            self.next()
            return ("unary", tok.text, self.parse_unary(no_lit))
        return self.parse_postfix(self.parse_primary(no_lit), no_lit)

    def parse_primary(self, no_lit: bool):
        tok = self.peek()
        if tok.kind == "str":
            self.next()
            return ("str", go_string(tok.text))
        if tok.kind == "rune":
            self.next()
            return ("num", ord(go_string('"' + tok.text[1:-1] + '"')[0]))
        if tok.kind == "num":
            self.next()
            text = tok.text.replace("_", "")
            if text.lower().startswith("0x"):
                return ("num", int(text, 16))
            if re.fullmatch(r"\d+", text):
                return ("num", int(text, 10))
            return ("num", float(text))
        if tok.text == "(":
            self.next()
            inner = self.parse_expr()
            self.expect(")")
            return ("paren", inner)
        if tok.text == "func" and tok.kind == "ident":
            self.parse_type()  # signature
            if self.at("{"):
                self.skip_balanced()
                return ("func",)
            return ("type", "func")
        if tok.text in ("map", "[", "struct", "interface", "chan") or (
            tok.text == "*" and False
        ):
            type_text = self.parse_type()
            if self.at("{"):
                return ("lit", ("type", type_text), self.parse_elements())
            return ("type", type_text)
        if tok.kind == "ident":
            self.next()
            return ("ident", tok.text)
        if tok.text == "{":  # elided composite literal type inside a literal
            return ("lit", None, self.parse_elements())
        raise GoError(f"{self.path}: unexpected {tok.text!r} in an expression")

    def parse_postfix(self, node, no_lit: bool):
        while True:
            tok = self.peek()
            if tok.text == "." and tok.kind == "op":
                self.next()
                if self.at("("):  # type assertion
                    self.next()
                    self.parse_type()
                    self.expect(")")
                    continue
                node = ("sel", node, self.next().text)
            elif tok.text == "(" and tok.kind == "op":
                self.next()
                args = []
                while not self.at(")"):
                    if self.peek().text in ("map", "[", "func", "chan", "*") and self._looks_like_type_arg():
                        args.append(("type", self.parse_type()))
                    else:
                        args.append(self.parse_expr())
                    if self.at("..."):
                        self.next()
                    if self.at(","):
                        self.next()
                    while self.at(";"):
                        self.next()
                self.next()
                node = ("call", node, args)
            elif tok.text == "[" and tok.kind == "op":
                self.next()
                if self.at(":"):
                    self.next()
                    if not self.at("]"):
                        self.parse_expr()
                    self.expect("]")
                    continue
                index = self.parse_expr()
                if self.at(":"):
                    self.next()
                    if not self.at("]"):
                        self.parse_expr()
                    self.expect("]")
                    continue
                if self.at(","):  # generic instantiation with several types
                    while not self.at("]"):
                        self.next()
                self.expect("]")
                node = ("index", node, index)
            elif tok.text == "{" and tok.kind == "op" and not no_lit and self._is_type_node(node):
                node = ("lit", node, self.parse_elements())
            else:
                return node

    def _looks_like_type_arg(self) -> bool:
        # make([]any, 0), make(map[string]x): a type in argument position
        tok = self.peek()
        if tok.text in ("map", "chan"):
            return True
        if tok.text == "[" and self.peek(1).text == "]":
            j = self.i + 2
            # []T{...} is a literal, []T alone is a type
            depth = 0
            while True:
                t = self.t[j]
                if t.text in ("(", "["):
                    depth += 1
                elif t.text in (")", "]"):
                    if depth == 0:
                        return True
                    depth -= 1
                elif t.text == "{" and depth == 0:
                    return False
                elif t.text == "," and depth == 0:
                    return True
                j += 1
        return False

    @staticmethod
    def _is_type_node(node) -> bool:
        if node[0] == "ident":
            return True
        if node[0] == "sel" and node[1][0] == "ident":
            return True
        if node[0] == "index":  # generic type
            return True
        return False

    def parse_elements(self):
        self.expect("{")
        elements = []
        while True:
            while self.at(";"):
                self.next()
            if self.at("}"):
                self.next()
                return elements
            first = self.parse_expr()
            if self.at(":"):
                self.next()
                while self.at(";"):
                    self.next()
                value = self.parse_expr()
                elements.append((first, value))
            else:
                elements.append((None, first))
            while self.at(";"):
                self.next()
            if self.at(","):
                self.next()

    # statements ------------------------------------------------------------
    def parse_block(self):
        """Parses `{ stmts }` into a list of simple statements; control flow is dropped."""
        self.expect("{")
        statements = []
        while True:
            while self.at(";"):
                self.next()
            if self.at("}"):
                self.next()
                return statements
            statement = self.parse_statement()
            if statement is not None:
                statements.append(statement)

    def skip_statement(self):
        depth = 0
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return
            if tok.kind == "op":
                if tok.text in "({[":
                    depth += 1
                elif tok.text in ")}]":
                    if depth == 0:
                        return
                    depth -= 1
                    if depth == 0 and tok.text == "}":
                        self.next()
                        if self.at(";") or self.at("}"):
                            return
                        continue
                elif tok.text == ";" and depth == 0:
                    self.next()
                    return
            self.next()

    def parse_statement(self):
        tok = self.peek()
        if tok.kind == "ident" and tok.text in (
            "if", "for", "switch", "select", "go", "defer", "goto", "break", "continue", "type",
        ):
            self.skip_statement()
            return None
        if tok.kind == "ident" and tok.text == "return":
            self.next()
            if self.at(";") or self.at("}"):
                return ("return", None)
            value = self.parse_expr()
            while self.at(","):  # extra results (err): keep the first
                self.next()
                self.parse_expr()
            return ("return", value)
        if tok.kind == "ident" and tok.text in ("var", "const"):
            self.next()
            if self.at("("):
                self.skip_balanced()
                return None
            name = self.next().text
            if self.at("="):
                self.next()
                return ("assign", ("ident", name), self.parse_expr())
            type_text = self.parse_type()
            if self.at("="):
                self.next()
                return ("assign", ("ident", name), self.parse_expr())
            return ("declare", name, type_text)
        if tok.text == "{":
            self.skip_balanced()
            return None
        start = self.i
        try:
            left = self.parse_expr(no_lit=False)
            targets = [left]
            while self.at(","):
                self.next()
                targets.append(self.parse_expr())
            if self.at(":=") or self.at("="):
                self.next()
                value = self.parse_expr()
                while self.at(","):
                    self.next()
                    self.parse_expr()
                if not (self.at(";") or self.at("}")):
                    raise GoError("not a simple assignment")
                return ("assign", targets[0], value) if len(targets) == 1 else None
            if self.at(";") or self.at("}"):
                return ("expr", left)
            raise GoError("not a simple statement")
        except GoError:
            self.i = start
            self.skip_statement()
            return None


# ---------------------------------------------------------------- source tree


@dataclass
class Func:
    name: str
    receiver: str | None
    receiver_var: str | None
    params: list[str]
    param_types: list[str]
    body: list | None
    file: "GoFile"
    body_tokens: tuple[int, int] | None = None


@dataclass
class GoFile:
    path: str
    package_dir: str
    imports: dict[str, str]


class Tree:
    """All Go packages of one repository, indexed for the evaluator."""

    def __init__(self, root: str, module: str):
        self.root = root
        self.module = module
        self.consts: dict[str, dict[str, tuple]] = {}  # package dir -> name -> (node, GoFile)
        self.funcs: dict[str, dict[str, Func]] = {}  # package dir -> name -> Func
        self.methods: dict[str, dict[tuple[str, str], Func]] = {}
        self.files: list[GoFile] = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("testacc", "vendor"))
            for name in sorted(files):
                if name.endswith(".go") and not name.endswith("_test.go"):
                    self._load(os.path.join(directory, name))

    def _load(self, path: str) -> None:
        rel_dir = os.path.relpath(os.path.dirname(path), self.root)
        with open(path, encoding="utf-8") as handle:
            tokens = tokenize(handle.read(), path)
        file = GoFile(path=path, package_dir=rel_dir, imports={})
        self.files.append(file)
        consts = self.consts.setdefault(rel_dir, {})
        funcs = self.funcs.setdefault(rel_dir, {})
        methods = self.methods.setdefault(rel_dir, {})
        p = Parser(tokens, path)
        while p.peek().kind != "eof":
            tok = p.next()
            if tok.kind != "ident":
                continue
            if tok.text == "import":
                self._imports(p, file)
            elif tok.text in ("const", "var"):
                self._consts(p, file, consts)
            elif tok.text == "func":
                self._func(p, file, funcs, methods)
            elif tok.text == "type":
                if p.at("("):
                    p.skip_balanced()
                else:
                    p.next()
                    if p.at("["):
                        p.skip_balanced()
                    if p.at("="):
                        p.next()
                    p.parse_type()

    def _imports(self, p: Parser, file: GoFile) -> None:
        def one():
            alias = None
            if p.peek().kind == "ident" or p.at("."):
                alias = p.next().text
            path = go_string(p.next().text)
            alias = alias or path.rstrip("/").split("/")[-1]
            if re.fullmatch(r"v\d+", alias):
                alias = path.rstrip("/").split("/")[-2]
            alias = alias.replace("-", "")
            file.imports[alias] = path

        if p.at("("):
            p.next()
            while not p.at(")"):
                if p.at(";"):
                    p.next()
                    continue
                one()
            p.next()
        else:
            one()

    def _consts(self, p: Parser, file: GoFile, consts: dict) -> None:
        def specs():
            iota = 0
            last = None
            while True:
                while p.at(";"):
                    p.next()
                if p.at(")"):
                    p.next()
                    return
                names = [p.next().text]
                while p.at(","):
                    p.next()
                    names.append(p.next().text)
                value = None
                if not (p.at("=") or p.at(";")):
                    p.parse_type()
                if p.at("="):
                    p.next()
                    values = [p.parse_expr()]
                    while p.at(","):
                        p.next()
                        values.append(p.parse_expr())
                    last = values
                    value = values
                elif last is not None:
                    value = last
                if value is not None:
                    for index, name in enumerate(names):
                        if index < len(value):
                            consts[name] = (value[index], file, iota)
                iota += 1
                if not grouped:
                    return

        grouped = p.at("(")
        if grouped:
            p.next()
        specs()

    def _func(self, p: Parser, file: GoFile, funcs: dict, methods: dict) -> None:
        receiver = receiver_var = None
        if p.at("("):
            start = p.i
            p.skip_balanced()
            inner = p.t[start + 1:p.i - 1]
            if "[" in [t.text for t in inner]:  # generic receiver: drop the type parameters
                inner = inner[:[t.text for t in inner].index("[")]
            receiver_tokens = [t.text for t in inner if t.kind == "ident"]
            receiver = receiver_tokens[-1] if receiver_tokens else None
            receiver_var = receiver_tokens[0] if len(receiver_tokens) > 1 else None
        name = p.next().text
        if p.at("["):
            p.skip_balanced()
        params, types = self._params(p)
        # results
        if p.at("("):
            p.skip_balanced()
        elif not p.at("{") and not p.at(";"):
            p.parse_type()
        body = None
        span = None
        if p.at("{"):
            start = p.i
            p.skip_balanced()
            span = (start, p.i)
        func = Func(name, receiver, receiver_var, params, types, body, file, span)
        func._tokens = p.t  # type: ignore[attr-defined]
        if receiver:
            methods[(receiver, name)] = func
        else:
            funcs[name] = func

    @staticmethod
    def _params(p: Parser):
        p.expect("(")
        names, types = [], []
        pending = []
        while not p.at(")"):
            if p.at(","):
                p.next()
                continue
            if p.at(";"):
                p.next()
                continue
            if p.peek().kind == "ident" and (p.peek(1).text in (",", ")")):
                pending.append(p.next().text)
                continue
            if p.peek().kind == "ident" and p.peek(1).text not in (".",):
                name = p.next().text
                if p.at("..."):
                    p.next()
                type_text = p.parse_type()
                for n in pending + [name]:
                    names.append(n)
                    types.append(type_text)
                pending = []
            else:
                if p.at("..."):
                    p.next()
                type_text = p.parse_type()
                names.append("_")
                types.append(type_text)
        p.next()
        for n in pending:  # unnamed parameters given as bare types
            names.append("_")
            types.append(n)
        return names, types

    def body(self, func: Func):
        if func.body is None and func.body_tokens is not None:
            start, end = func.body_tokens
            tokens = func._tokens[start:end] + [Tok("op", ";"), Tok("eof", "")]  # type: ignore[attr-defined]
            func.body = Parser(tokens, func.file.path).parse_block()
        return func.body or []

    def package_of(self, file: GoFile, alias: str) -> str | None:
        path = file.imports.get(alias)
        if path and path.startswith(self.module + "/"):
            return path[len(self.module) + 1:]
        if path == self.module:
            return "."
        return None


# ---------------------------------------------------------------- evaluation


class Evaluator:
    """Evaluates expressions of a Tree. `intrinsics` maps external call names
    (e.g. "schema.EnvDefaultFunc") to Python functions; other external calls become Call
    values, other external names External values."""

    MAX_DEPTH = 40

    def __init__(self, tree: Tree, provider_type_name: str):
        self.tree = tree
        self.provider_type_name = provider_type_name
        self.depth = 0

    def const(self, package_dir: str, name: str):
        entry = self.tree.consts.get(package_dir, {}).get(name)
        if entry is None:
            return None
        node, file, iota = entry
        return self.eval(node, {"iota": iota}, file)

    def call_func(self, func: Func, args: list, env_self=None):
        if self.depth > self.MAX_DEPTH:
            return OPAQUE
        self.depth += 1
        try:
            env = {}
            for name, value in zip(func.params, args):
                env[name] = value
            return self.run(self.tree.body(func), env, func.file)
        finally:
            self.depth -= 1

    def run(self, statements, env: dict, file: GoFile):
        for statement in statements:
            kind = statement[0]
            if kind == "return":
                return None if statement[1] is None else self.eval(statement[1], env, file)
            if kind == "declare":
                env[statement[1]] = {} if statement[2].startswith("map[") else None
            elif kind == "assign":
                self.assign(statement[1], self.eval(statement[2], env, file), env, file)
            elif kind == "expr":
                self.eval(statement[1], env, file)
        return None

    def assign(self, target, value, env: dict, file: GoFile) -> None:
        if target[0] == "ident":
            env[target[1]] = value
        elif target[0] == "index":
            container = self.eval(target[1], env, file)
            key = self.eval(target[2], env, file)
            if isinstance(container, dict) and isinstance(key, (str, int)):
                container[key] = value
        elif target[0] == "sel":
            owner = self.eval(target[1], env, file)
            if isinstance(owner, Struct):
                owner.fields[target[2]] = value
            elif isinstance(owner, dict) and owner.get("__object__"):
                owner[target[2]] = value

    def eval(self, node, env: dict, file: GoFile, elem_type: str | None = None):
        kind = node[0]
        if kind in ("str", "num"):
            return node[1]
        if kind == "paren":
            return self.eval(node[1], env, file)
        if kind == "func":
            return OPAQUE
        if kind == "type":
            return External("type:" + node[1])
        if kind == "ident":
            name = node[1]
            if name in env:
                return env[name]
            if name == "true":
                return True
            if name == "false":
                return False
            if name == "nil":
                return None
            entry = self.tree.consts.get(file.package_dir, {}).get(name)
            if entry is not None:
                return self.const(file.package_dir, name)
            if name in self.tree.funcs.get(file.package_dir, {}):
                return ("funcref", file.package_dir, name)
            return External(name)
        if kind == "sel":
            base = node[1]
            if base[0] == "ident" and base[1] not in env:
                package = self.tree.package_of(file, base[1])
                if package is not None:
                    if node[2] in self.tree.consts.get(package, {}):
                        return self.const(package, node[2])
                    if node[2] in self.tree.funcs.get(package, {}):
                        return ("funcref", package, node[2])
                    return OPAQUE
                if base[1] in file.imports:
                    return External(f"{base[1]}.{node[2]}")
                if base[1] == "req" and node[2] == "ProviderTypeName":
                    return self.provider_type_name
            owner = self.eval(base, env, file)
            if isinstance(owner, Struct):
                return promoted(owner, node[2])
            return OPAQUE
        if kind == "unary":
            value = self.eval(node[2], env, file, elem_type)
            if node[1] == "-" and isinstance(value, (int, float)):
                return -value
            if node[1] == "!" and isinstance(value, bool):
                return not value
            if node[1] in ("&", "*", "+"):
                return value
            return OPAQUE
        if kind == "binary":
            left = self.eval(node[2], env, file)
            right = self.eval(node[3], env, file)
            op = node[1]
            try:
                if op == "+" and isinstance(left, str) and isinstance(right, str):
                    return left + right
                if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
                    return {
                        "+": lambda a, b: a + b, "-": lambda a, b: a - b,
                        "*": lambda a, b: a * b, "/": lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) else a / b,
                        "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
                        "%": lambda a, b: a % b, "|": lambda a, b: a | b,
                    }[op](left, right)
            except (KeyError, TypeError, ZeroDivisionError):
                pass
            return OPAQUE
        if kind == "index":
            container = self.eval(node[1], env, file)
            key = self.eval(node[2], env, file)
            if isinstance(container, dict) and isinstance(key, (str, int)):
                return container.get(key, OPAQUE)
            if isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
                return container[key]
            return OPAQUE
        if kind == "lit":
            return self.literal(node, env, file, elem_type)
        if kind == "call":
            return self.call(node, env, file)
        raise GoError(f"{file.path}: cannot evaluate {kind}")

    def literal(self, node, env, file, elem_type):
        type_text = self.type_text(node[1], file) if node[1] is not None else elem_type
        type_text = (type_text or "").lstrip("*")
        elements = node[2]
        if type_text.startswith("map["):
            value_type = map_value_type(type_text)
            result = {}
            for key_node, value_node in elements:
                key = self.eval(key_node, env, file)
                if isinstance(key, (str, int)):
                    result[key] = self.eval(value_node, env, file, value_type)
            return result
        if type_text.startswith("["):
            item_type = re.sub(r"^\[[^\]]*\]", "", type_text)
            return [self.eval(v, env, file, item_type) for _, v in elements]
        struct = Struct(type=type_text)
        for index, (key_node, value_node) in enumerate(elements):
            key = key_node[1] if key_node is not None and key_node[0] == "ident" else f"#{index}"
            struct.fields[key] = self.eval(value_node, env, file, FIELD_TYPES.get((type_text, key)))
        return struct

    def type_text(self, node, file) -> str:
        if node[0] == "type":
            return node[1]
        if node[0] == "ident":
            return node[1]
        if node[0] == "sel" and node[1][0] == "ident":
            return f"{node[1][1]}.{node[2]}"
        if node[0] == "index":
            return self.type_text(node[1], file)
        return "?"

    def call(self, node, env, file):
        function = node[1]
        args = node[2]
        if function[0] == "ident" and function[1] in ("make", "new", "len", "append"):
            if function[1] == "make" and args and args[0][0] == "type" and args[0][1].startswith("map["):
                return {}
            if function[1] == "append" and args:
                base = self.eval(args[0], env, file)
                if isinstance(base, list):
                    return base + [self.eval(a, env, file) for a in args[1:]]
            return OPAQUE
        if function[0] == "ident" and function[1] in ("int", "int64", "string", "float64", "bool", "int32"):
            return self.eval(args[0], env, file) if args else OPAQUE
        if function[0] == "sel" and function[2] == "MergeSchema" and len(args) == 2:
            dst = self.eval(args[0], env, file)
            src = self.eval(args[1], env, file)
            if isinstance(dst, dict) and isinstance(src, dict):
                dst.update(src)
            return None
        if function[0] == "sel" and function[1] == ("ident", "maps") and function[2] == "Copy" and len(args) == 2:
            dst = self.eval(args[0], env, file)
            src = self.eval(args[1], env, file)
            if isinstance(dst, dict) and isinstance(src, dict):
                dst.update(src)
            return None
        if function[0] == "sel" and function[2] == "String" and not args:
            # Stringer of a string-typed constant (P224.String()): its own value
            value = self.eval(function[1], env, file)
            if isinstance(value, str):
                return value
        callee = self.eval(function, env, file)
        values = [self.eval(a, env, file) for a in args]
        if isinstance(callee, tuple) and callee and callee[0] == "funcref":
            func = self.tree.funcs[callee[1]][callee[2]]
            return self.call_func(func, values)
        if isinstance(callee, External):
            if callee.name == "fmt.Sprintf" and values and isinstance(values[0], str):
                return sprintf(values[0], values[1:])
            return Call(callee.name, values)
        return OPAQUE

    def method(self, package_dir: str, receiver: str, name: str) -> Func | None:
        return self.tree.methods.get(package_dir, {}).get((receiver, name))


def promoted(owner: Struct, name: str, depth: int = 0):
    """A field of a struct value, or of a struct embedded in it (Go's field promotion)."""
    if name in owner.fields:
        return owner.fields[name]
    if depth < 4:
        for value in owner.fields.values():
            if isinstance(value, Struct):
                found = promoted(value, name, depth + 1)
                if found is not None:
                    return found
    return None


def map_value_type(type_text: str) -> str:
    depth = 0
    for index, char in enumerate(type_text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return type_text[index + 1:]
    return ""


# Field types of the SDK's and the framework's schema structs, so that the elided
# literals inside them (`Elem: &schema.Resource{Schema: map...}`) get their type.
FIELD_TYPES = {
    ("schema.Schema", "Elem"): None,
    ("schema.Resource", "Schema"): "map[string]*schema.Schema",
    ("schema.Schema", "Attributes"): "map[string]schema.Attribute",
    ("schema.Schema", "Blocks"): "map[string]schema.Block",
}


def sprintf(fmt: str, values: list):
    out = []
    index = 0
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            j = i + 1
            while j < len(fmt) and fmt[j] in "+-# 0123456789.":
                j += 1
            verb = fmt[j] if j < len(fmt) else ""
            if verb == "%":
                out.append("%")
            else:
                if index >= len(values) or isinstance(values[index], (Opaque, External, Call, Struct)):
                    return OPAQUE
                value = values[index]
                index += 1
                if verb == "q":
                    out.append('"' + str(value) + '"')
                elif isinstance(value, bool):
                    out.append("true" if value else "false")
                else:
                    out.append(str(value))
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)
