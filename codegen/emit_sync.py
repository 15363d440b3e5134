"""Emit the blocking facade, ``botpress_sync``, from the async classes it mirrors.

The emitter imports `botpress_async.AsyncClient` and each ``botpress_async.resources.<api>``
class, reads every public method (generated and hand-written helpers alike, inherited ones
included) from the source with `ast`, and writes a twin with the same name, parameters,
return annotation and docstring whose one-line body hands the call to the private loop:

- a coroutine method returns ``_loop.run(self._async.name(...))``;
- a method returning an ``AsyncPager[T]`` returns a ``Pager[T]`` (a blocking iterator);
- an async iterator becomes ``Iterator`` (one loop round trip per element), an async context
  manager a context manager;
- properties and plain methods are forwarded as they are, except resource properties, which
  return the blocking resource class.

Module-level coroutine functions marked ``@blocking_twin(doc)`` get a blocking twin too, in a
module of their own (see `FunctionSpec`): ``aname(...)`` becomes ``name(...)``, documented by
``doc``, whose body runs the coroutine to its end on the private loop.

Argument annotations are renamed too, so that a blocking caller is offered what it can pass
(see `sync_argument`). ``python -m codegen`` writes the facade with every other generated file,
and ``python -m codegen --check`` compares it; this module has no driver of its own.
"""

from __future__ import annotations

import ast
import builtins
import copy
from collections.abc import Iterable
from pathlib import Path

import attrs

from codegen.ir import API_NAMES
from codegen.writer import MARKER

__all__ = [
    "APIS",
    "FUNCTION_TWINS",
    "ClassSpec",
    "FunctionSpec",
    "emit",
    "render_class_module",
    "render_function_module",
    "render_init",
    "sync_annotation",
    "sync_argument",
]

ROOT = Path(__file__).resolve().parent.parent
APIS = API_NAMES

#: Async names and their blocking counterparts, with the module the counterpart comes from.
RENAMES: dict[str, tuple[str, str]] = {
    "AsyncClient": ("Client", "botpress_sync._client"),
    "AsyncPager": ("Pager", "botpress_sync._pager"),
    "AsyncIterator": ("Iterator", "collections.abc"),
    "AsyncIterable": ("Iterable", "collections.abc"),
    "AsyncGenerator": ("Iterator", "collections.abc"),
    "AbstractAsyncContextManager": ("AbstractContextManager", "contextlib"),
    "AsyncContextManager": ("ContextManager", "typing"),
    "AsyncTableHandle": ("TableHandle", "botpress_sync._tables"),
    "ChatListener": ("BlockingChatListener", "botpress_sync.chat._base"),
    "AsyncChatUser": ("ChatUser", "botpress_sync.chat._user"),
    # The options of the partition functions: the coroutine twins' also take a client.
    "AsyncPartitionOptions": ("PartitionOptions", "botpress_async.distributed._partitions"),
    "AsyncRowPartitionOptions": ("RowPartitionOptions", "botpress_async.distributed._partitions"),
}
#: Hand-written async classes that plain methods return, wrapped by their blocking twin
#: (a key of `RENAMES`): the method returns ``Twin(self._async.method(...))``.
WRAPPED: frozenset[str] = frozenset({"AsyncTableHandle", "AsyncChatUser", "ChatListener"})
_ITERATORS = frozenset({"AsyncIterator", "AsyncIterable", "AsyncGenerator"})
_CONTEXT_MANAGERS = frozenset({"AbstractAsyncContextManager", "AsyncContextManager"})
_AWAITABLES = frozenset({"Awaitable", "Coroutine"})
#: Handled once, by hand, in ``botpress_sync._base``.
_LIFECYCLE = frozenset({"aclose", "close", "__aenter__", "__aexit__", "__init__"})
#: Constructor arguments that make no sense for a client whose loop is private.
DROPPED_INIT_ARGS = frozenset({"session"})


@attrs.frozen
class ClassSpec:
    """One async class and the blocking module and class generated from it."""

    source_module: str
    source_class: str
    target: Path
    target_class: str
    base: str
    docstring: str
    api: str | None = None


@attrs.frozen
class Import:
    """Where a name used by a signature comes from."""

    module: str
    name: str


def client_spec() -> ClassSpec:
    """The spec of `botpress_sync.Client`."""
    return ClassSpec(
        source_module="botpress_async._client",
        source_class="AsyncClient",
        target=Path("botpress_sync/_client.py"),
        target_class="Client",
        base="ClientBase",
        docstring=(
            "Blocking client of the Botpress Cloud API, for code that cannot ``await``.\n\n"
            "Use it as ``with Client(...) as client:`` or close it with `close`. It takes the\n"
            "arguments of `botpress_async.AsyncClient` (except ``session``) and offers the same\n"
            "methods, each blocking until the call is done. The calls run on one private event\n"
            "loop per process, so any number of threads may share one client; see docs/sync.md.\n"
        ),
    )


def resource_spec(api: str) -> ClassSpec:
    """The spec of the blocking resource class of one API."""
    name = api.capitalize() + "API"
    return ClassSpec(
        source_module=f"botpress_async.resources.{api}",
        source_class=name,
        target=Path(f"botpress_sync/resources/{api}.py"),
        target_class=name,
        base="ResourceBase",
        docstring=f"The {api} API of a blocking `Client`: the async {name}'s methods, blocking.\n",
        api=api,
    )


# -- name resolution ------------------------------------------------------------------------


def module_imports(tree: ast.Module, module: str, *, is_package: bool = False) -> dict[str, Import]:
    """Map each name a module binds at top level (or under ``TYPE_CHECKING``) to its origin."""
    package = module if is_package else module.rpartition(".")[0]
    found: dict[str, Import] = {}

    def visit(body: Iterable[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parent = ".".join(parts[: len(parts) - node.level + 1])
                    base = f"{parent}.{base}" if base else parent
                for alias in node.names:
                    found[alias.asname or alias.name] = Import(base, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    found[alias.asname or alias.name.partition(".")[0]] = Import("", alias.name)
            elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                found[node.name] = Import(module, node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = Import(module, target.id)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)

    visit(tree.body)
    return found


def _names(node: ast.AST | None) -> set[str]:
    if node is None:
        return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _Rename(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in RENAMES:
            return ast.copy_location(ast.Name(RENAMES[node.id][0], node.ctx), node)
        return node


def sync_annotation(text: str) -> str:
    """The blocking twin of an annotation written for the async API (``AsyncPager`` → ``Pager``)."""
    tree = _Rename().visit(ast.parse(text, mode="eval"))
    return ast.unparse(tree)


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    return [node]


def _awaits(node: ast.expr) -> bool:
    """Whether ``node`` is a callable returning an awaitable: a callback only async code can be."""
    if not (isinstance(node, ast.Subscript) and _root_name(node) == "Callable"):
        return False
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else []
    result = parts[-1] if parts else None
    return _root_name(result) in _AWAITABLES


def sync_argument(node: ast.expr) -> ast.expr:
    """The blocking twin of a parameter's annotation: what a blocking caller can pass.

    Async names become their blocking twins, as in return annotations; a union then loses the
    members that only async code can give (a callback returning an awaitable) and the members
    the renaming made equal, so ``Iterable[T] | AsyncIterable[T]`` reads ``Iterable[T]``.
    """
    renamed: ast.expr = _Rename().visit(copy.deepcopy(node))
    members = _union_members(renamed)
    if len(members) == 1:
        return renamed
    kept: dict[str, ast.expr] = {}
    for member in members:
        if not _awaits(member):
            kept.setdefault(ast.unparse(member), member)
    if not kept:
        return renamed
    out, *rest = kept.values()
    for member in rest:
        out = ast.BinOp(out, ast.BitOr(), member)
    return out


def sync_arguments(args: ast.arguments) -> ast.arguments:
    """A copy of ``args`` whose annotations are their blocking twins (see `sync_argument`)."""
    out = copy.deepcopy(args)
    every = [*out.posonlyargs, *out.args, *out.kwonlyargs, out.vararg, out.kwarg]
    for arg in every:
        if arg is not None and arg.annotation is not None:
            arg.annotation = sync_argument(arg.annotation)
    return out


# -- one method -----------------------------------------------------------------------------


@attrs.frozen
class Member:
    """A public member of the async class, read from its source."""

    name: str
    kind: str  # "property", "coroutine", "asyncgen" or "function"
    node: ast.FunctionDef | ast.AsyncFunctionDef
    doc: str | None
    imports: dict[str, Import]
    overloads: tuple[ast.FunctionDef | ast.AsyncFunctionDef, ...] = ()


class Sources:
    """Module sources by dotted name: fresh generator output first, then the files on disk."""

    def __init__(self, root: Path, fresh: dict[Path, str] | None = None) -> None:
        self.root = root
        self.fresh = fresh or {}

    def tree(self, module: str) -> ast.Module:
        """The parsed source of a module of the project."""
        base = self.root.joinpath(*module.split("."))
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            text = self.fresh.get(path)
            if text is None and path.exists():
                text = path.read_text(encoding="utf-8")
            if text is not None:
                return ast.parse(text)
        raise FileNotFoundError(f"no source for module {module}")


def _kind(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    decorators = {d.id if isinstance(d, ast.Name) else ast.unparse(d) for d in node.decorator_list}
    if "overload" in decorators or "typing.overload" in decorators:
        return None  # kept with the implementation that follows
    if decorators & {"staticmethod", "classmethod"}:
        raise TypeError(f"{node.name}: static and class methods are not mirrored")
    if "property" in decorators:
        return "property"
    if isinstance(node, ast.FunctionDef):
        return "function"
    own = [n for n in ast.walk(node) if isinstance(n, ast.Yield | ast.YieldFrom)]
    return "asyncgen" if own else "coroutine"


def members(
    sources: Sources, module: str, class_name: str, *, skip: frozenset[str] = frozenset()
) -> list[Member]:
    """The public methods and properties of a class and its project bases, as read from source.

    The class's own members come first in source order, then its bases' (a name defined
    twice keeps the first, as the MRO would). Names in ``skip`` are left out unread: their
    blocking twins are written by hand.
    """
    tree = sources.tree(module)
    imports = module_imports(tree, module)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    if cls is None:
        raise LookupError(f"{module} has no class {class_name}")
    out: list[Member] = []
    seen: set[str] = set()
    overloads: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name in seen or (node.name.startswith("_") and node.name != "__init__"):
            continue
        if node.name in skip:
            continue
        kind = _kind(node)
        if kind is None:
            overloads.append(node)
            continue
        seen.add(node.name)
        mine = tuple(o for o in overloads if o.name == node.name)
        overloads = []
        doc = ast.get_docstring(node, clean=False)
        out.append(Member(node.name, kind, node, doc, imports, mine))
    for base in cls.bases:
        origin = imports.get(base.id) if isinstance(base, ast.Name) else None
        if origin is None or not origin.module.startswith("botpress_async"):
            continue  # Generic[...], object and the like have nothing to mirror
        for member in members(sources, origin.module, origin.name, skip=skip):
            if member.name not in seen:
                seen.add(member.name)
                out.append(member)
    return out


def call_arguments(args: ast.arguments, *, method: bool = True) -> str:
    """The argument list that passes every parameter of ``args`` on as given.

    Args:
        args: the parameters.
        method: the first parameter is ``self``, which is left out.
    """
    skip = 1 if method else 0
    parts = [a.arg for a in args.posonlyargs[skip:]] if args.posonlyargs else []
    plain = args.args if args.posonlyargs else args.args[skip:]
    parts += [a.arg for a in plain]
    if args.vararg:
        parts.append("*" + args.vararg.arg)
    parts += [f"{a.arg}={a.arg}" for a in args.kwonlyargs]
    if args.kwarg:
        parts.append("**" + args.kwarg.arg)
    return ", ".join(parts)


def blocking_doc(doc: str | None) -> str | None:
    """An async member's docstring for its blocking twin: its code examples lose ``await``."""
    if not doc:
        return doc
    for async_word, blocking_word in _BLOCKING_WORDS:
        doc = doc.replace("``" + async_word, "``" + blocking_word)
    return doc


#: How an example in a docstring starts in async code, and in blocking code.
_BLOCKING_WORDS = (("await ", ""), ("async for ", "for "), ("async with ", "with "))


def _docstring(doc: str | None, indent: str) -> str:
    if not doc:
        return ""
    if "\\" in doc or '"""' in doc:
        return f"{indent}{ast.unparse(ast.Constant(doc))}\n"
    return f'{indent}"""{doc}"""\n'


def _root_name(returns: ast.expr | None) -> str | None:
    node = returns
    if isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@attrs.define
class Rendered:
    """Source of the methods of one class, and the names they need imported."""

    body: list[str] = attrs.Factory(list)
    runtime_names: dict[str, Import] = attrs.Factory(dict)
    typing_names: dict[str, Import] = attrs.Factory(dict)
    resources: dict[str, str] = attrs.Factory(dict)


def _resolve(name: str, member: Member) -> Import | None:
    if name not in member.imports and hasattr(builtins, name):
        return None
    for async_name, (sync_name, module) in RENAMES.items():
        if name == sync_name:
            return Import(module, sync_name) if async_name != "AsyncClient" else None
    origin = member.imports.get(name)
    if origin is None:
        raise NameError(f"{member.name}: cannot tell where {name!r} comes from")
    if origin.module.startswith("botpress_async.resources."):
        return Import(origin.module.replace("botpress_async", "botpress_sync", 1), origin.name)
    return origin


def note_signature(
    args: ast.arguments, returns: ast.expr | None, member: Member, out: Rendered
) -> None:
    """Record in ``out`` where each name of a twin's signature comes from.

    Every name is needed for type checking; names in default values at run time too.
    """
    for name in _names(args) | _names(returns):
        origin = _resolve(name, member)
        if origin is not None:
            out.typing_names[name] = origin
    for default in [*args.defaults, *args.kw_defaults]:
        for name in _names(default):
            origin = _resolve(name, member)
            if origin is not None:
                out.runtime_names[name] = origin


def render_member(member: Member, out: Rendered, *, is_client: bool) -> None:
    """Append the blocking twin of one async member to ``out``."""
    node = member.node
    args = node.args
    if member.name == "__init__":
        keep = [a for a in args.kwonlyargs if a.arg not in DROPPED_INIT_ARGS]
        defaults = [
            d
            for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
            if a.arg not in DROPPED_INIT_ARGS
        ]
        args = ast.arguments(
            posonlyargs=args.posonlyargs,
            args=args.args,
            vararg=args.vararg,
            kwonlyargs=keep,
            kw_defaults=defaults,
            kwarg=args.kwarg,
            defaults=args.defaults,
        )
    # The blocking caller's view: what it may pass, and what it gets back.
    args = sync_arguments(args)
    root = _root_name(node.returns)
    returns = _Rename().visit(copy.deepcopy(node.returns)) if node.returns is not None else None
    note_signature(args, returns, member, out)
    call = f"self._async.{member.name}({call_arguments(args)})"
    if member.name == "__init__":
        config = ", ".join(f"{a.arg!r}: {a.arg}" for a in [*args.args[1:], *args.kwonlyargs])
        body = f"self._open({{{config}}})"
    elif member.kind == "property":
        origin = member.imports.get(root or "")
        if (
            is_client
            and origin is not None
            and origin.module.startswith("botpress_async.resources.")
        ):
            api = origin.module.rpartition(".")[2]
            out.resources[api] = origin.name
            # Imported on first use, like the async APIs: a runtime-only user never loads admin.
            cls = origin.name
            body = (
                f"from botpress_sync.resources.{api} import {cls}\n\n"
                f"        return self._attach({cls})"
            )
        else:
            body = f"return self._async.{member.name}"
    elif member.kind == "coroutine" and root in WRAPPED:
        twin, module = RENAMES[root]
        out.runtime_names[twin] = Import(module, twin)
        body = f"return {twin}(_loop.run({call}))"
    elif member.kind == "coroutine":
        body = f"return _loop.run({call})"
    elif member.kind == "asyncgen" or root in _ITERATORS:
        body = f"return _loop.iterate({call})"
    elif root == "AsyncPager":
        out.runtime_names["Pager"] = Import("botpress_sync._pager", "Pager")
        body = f"return Pager({call})"
    elif root in WRAPPED:
        twin, module = RENAMES[root]
        out.runtime_names[twin] = Import(module, twin)
        body = f"return {twin}({call})"
    elif root in _CONTEXT_MANAGERS:
        out.runtime_names["BlockingContextManager"] = Import(
            "botpress_sync._pager", "BlockingContextManager"
        )
        body = f"return BlockingContextManager({call})"
    else:
        body = f"return {call}"
    for overload in member.overloads:
        out.runtime_names["overload"] = Import("typing", "overload")
        o_returns = _Rename().visit(copy.deepcopy(overload.returns)) if overload.returns else None
        o_args = sync_arguments(overload.args)
        for name in _names(o_args) | _names(o_returns):
            origin = _resolve(name, member)
            if origin is not None:
                out.typing_names[name] = origin
        o_signature = f"def {member.name}({ast.unparse(o_args)})"
        if o_returns is not None:
            o_signature += f" -> {ast.unparse(o_returns)}"
        out.body.append(f"    @overload\n    {o_signature}: ...\n")
    head = "    @property\n" if member.kind == "property" else ""
    signature = f"def {member.name}({ast.unparse(args)})"
    if returns is not None:
        signature += f" -> {ast.unparse(returns)}"
    doc = _docstring(blocking_doc(member.doc), "        ")
    out.body.append(f"{head}    {signature}:\n{doc}        {body}\n")


# -- modules --------------------------------------------------------------------------------


def _header(spec: ClassSpec) -> str:
    return (
        f"# Generated by codegen.emit_sync from {spec.source_module}.{spec.source_class}.\n"
        f"# {MARKER}\n"
    )


def _import_lines(names: dict[str, Import]) -> list[str]:
    by_module: dict[str, list[str]] = {}
    lines = []
    for local, origin in sorted(names.items()):
        if not origin.module:
            lines.append(f"import {origin.name}")
        elif local == origin.name:
            by_module.setdefault(origin.module, []).append(local)
        else:
            by_module.setdefault(origin.module, []).append(f"{origin.name} as {local}")
    lines += [f"from {m} import {', '.join(sorted(ns))}" for m, ns in sorted(by_module.items())]
    return lines


def render_class_module(spec: ClassSpec, sources: Sources) -> str:
    """The source of one generated module: imports and the blocking class."""
    is_client = spec.api is None
    out = Rendered()
    for member in members(sources, spec.source_module, spec.source_class):
        if member.name in _LIFECYCLE and member.name != "__init__":
            continue
        if member.name == "__init__" and not is_client:
            continue
        render_member(member, out, is_client=is_client)
    runtime = dict(out.runtime_names)
    typing_only = {k: v for k, v in out.typing_names.items() if k not in runtime}
    prelude: list[str] = []
    if spec.api is not None:
        # Typed, so that mypy checks every forwarded call against the async signature.
        alias = f"Async{spec.source_class}"
        typing_only[alias] = Import(spec.source_module, spec.source_class)
        prelude = [
            "    __slots__ = ()",
            "",
            "    @property",
            f"    def _async(self) -> {alias}:",
            f"        return self._client._async.{spec.api}",
            "",
        ]
    lines = [
        _header(spec).rstrip("\n"),
        f'"""Blocking twin of `{spec.source_module}.{spec.source_class}` (generated)."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        "from botpress_sync import _loop",
        f"from botpress_sync._base import {spec.base}",
        *_import_lines(runtime),
        "",
        "if TYPE_CHECKING:",
        *(["    " + line for line in _import_lines(typing_only)] or ["    pass"]),
        "",
        f"__all__ = [{spec.target_class!r}]",
        "",
        "",
        f"class {spec.target_class}({spec.base}):",
        _docstring(spec.docstring, "    ").rstrip("\n"),
        "",
        *prelude,
        "\n".join(out.body),
    ]
    return "\n".join(lines) + "\n"


# -- module-level functions ----------------------------------------------------------------

#: The decorator that marks a coroutine function for a generated blocking twin.
MARK = "blocking_twin"


@attrs.frozen
class FunctionSpec:
    """A module of blocking functions generated from the marked coroutine functions of another.

    Each coroutine function ``aname`` of ``source_module`` decorated ``@blocking_twin(doc)``
    gets a twin ``name`` with the same parameters (annotations renamed, see `sync_argument`),
    the docstring ``doc`` (with the coroutine's ``Args:`` section when ``doc`` has none, see
    `twin_doc_with_args`), and a body that checks its options and runs ``aname`` blocking.

    Attributes:
        source_module: the hand-written module of the coroutine functions.
        target: the generated module, from the checkout's root.
        docstring: the generated module's docstring.
        runner: the function of ``source_module`` that runs a coroutine to its end, blocking.
        checker: the function of ``source_module`` called as ``checker(options, Options,
            "name")`` when the twin takes ``**options: Unpack[Options]``: the coroutine
            function takes more options than its blocking twin, which must refuse them.
    """

    source_module: str
    target: Path
    docstring: str
    runner: str
    checker: str


FUNCTION_TWINS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        source_module="botpress_async.distributed._partitions",
        target=Path("botpress_async/distributed/_blocking.py"),
        docstring=(
            "The blocking partition functions, what engines call: each runs its coroutine\n"
            "twin of `botpress_async.distributed._partitions` on the SDK's own event loop.\n"
        ),
        runner="_blocking",
        checker="_check_options",
    ),
)


def _twin_doc(node: ast.AsyncFunctionDef) -> str | None:
    """The blocking twin's docstring, if ``node`` is marked ``@blocking_twin(doc)``."""
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Name)
            and decorator.func.id == MARK
        ):
            arg = decorator.args[0] if len(decorator.args) == 1 else None
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                raise TypeError(f"{node.name}: @{MARK} takes the twin's docstring, one string")
            if not node.name.startswith("a"):
                raise NameError(f"{node.name}: a coroutine twin's name is its blocking one's + 'a'")
            return arg.value
    return None


def twin_doc_with_args(doc: str, coroutine_doc: str | None) -> str:
    """The blocking twin's docstring: ``doc``, and when it has no ``Args:`` section of its own,
    the coroutine function's, with the async names of `RENAMES` given their blocking ones."""
    marker = "\n\n    Args:\n"
    if marker in doc or not coroutine_doc or marker not in coroutine_doc:
        return doc
    args = coroutine_doc[coroutine_doc.index(marker) :]
    for async_name, (sync_name, _) in RENAMES.items():
        args = args.replace(f"`{async_name}`", f"`{sync_name}`")
    return doc.rstrip() + args


def _options_type(args: ast.arguments) -> str | None:
    """``Options`` when the parameters end in ``**name: Unpack[Options]``."""
    annotation = args.kwarg.annotation if args.kwarg is not None else None
    if (
        isinstance(annotation, ast.Subscript)
        and _root_name(annotation) == "Unpack"
        and isinstance(annotation.slice, ast.Name)
    ):
        return annotation.slice.id
    return None


def render_function(
    node: ast.AsyncFunctionDef, doc: str, spec: FunctionSpec, member: Member, out: Rendered
) -> None:
    """Append the blocking twin of one marked coroutine function to ``out``."""
    name = node.name[1:]
    args = sync_arguments(node.args)
    returns = _Rename().visit(copy.deepcopy(node.returns)) if node.returns is not None else None
    note_signature(args, returns, member, out)
    for helper in (node.name, spec.runner):
        out.runtime_names[helper] = Import(spec.source_module, helper)
    body = []
    options = _options_type(args)
    if options is not None and args.kwarg is not None:
        out.runtime_names[spec.checker] = Import(spec.source_module, spec.checker)
        # The options type is checked against at run time, so it is imported at run time.
        origin = _resolve(options, member)
        if origin is not None:
            out.runtime_names[options] = origin
        body.append(f"{spec.checker}({args.kwarg.arg}, {options}, {name!r})")
    body.append(f"return {spec.runner}({node.name}({call_arguments(args, method=False)}))")
    signature = f"def {name}({ast.unparse(args)})"
    if returns is not None:
        signature += f" -> {ast.unparse(returns)}"
    lines = "".join(f"    {line}\n" for line in body)
    out.body.append(f"{signature}:\n{_docstring(doc, '    ')}{lines}")


def render_function_module(spec: FunctionSpec, sources: Sources) -> str:
    """The source of one generated module of blocking functions (see `FunctionSpec`)."""
    tree = sources.tree(spec.source_module)
    imports = module_imports(tree, spec.source_module)
    out = Rendered()
    names: list[str] = []
    for node in tree.body:
        doc = _twin_doc(node) if isinstance(node, ast.AsyncFunctionDef) else None
        if doc is None or not isinstance(node, ast.AsyncFunctionDef):
            continue
        names.append(node.name[1:])
        doc = twin_doc_with_args(doc, ast.get_docstring(node, clean=False))
        render_function(node, doc, spec, Member(node.name, "coroutine", node, doc, imports), out)
    if not names:
        raise LookupError(f"{spec.source_module} has no function marked @{MARK}")
    runtime = dict(out.runtime_names)
    typing_only = {k: v for k, v in out.typing_names.items() if k not in runtime}
    lines = [
        f"# Generated by codegen.emit_sync from {spec.source_module}.",
        f"# {MARKER}",
        _docstring(spec.docstring, "").rstrip("\n"),
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        *_import_lines(runtime),
        "",
        "if TYPE_CHECKING:",
        *(["    " + line for line in _import_lines(typing_only)] or ["    pass"]),
        "",
        f"__all__ = [{', '.join(repr(n) for n in sorted(names))}]",
        "",
        "",
        "\n\n".join(out.body),
    ]
    return "\n".join(lines) + "\n"


def render_init(async_all: Iterable[str]) -> str:
    """``botpress_sync/__init__.py``: `Client` plus every public name of ``botpress_async``."""
    own = {
        "Client": "_client",
        "LoopThreadError": "_loop",
        "Pager": "_pager",
        "TableHandle": "_tables",
    }
    shared = sorted(
        n for n in async_all if n not in ("AsyncClient", "__version__") and n not in own
    )
    names = sorted([*shared, *own, "__version__"])
    body = [
        "# Generated by codegen.emit_sync from botpress_async.__all__.",
        f"# {MARKER}",
        '"""Blocking Python client for the Botpress Cloud API.',
        "",
        "`Client` has every method of ``botpress_async.AsyncClient``, blocking; models and errors",
        "are the very objects of ``botpress_async``, re-exported.",
        '"""',
        "",
        f"from botpress_async import {', '.join(shared)}",
        "from botpress_async import __version__",
        *(f"from botpress_sync.{mod} import {name}" for name, mod in sorted(own.items())),
        "",
        "__all__ = [",
        *(f"    {n!r}," for n in names),
        "]",
    ]
    return "\n".join(body) + "\n"


def _resources_init() -> str:
    return (
        "# Generated by codegen.emit_sync from botpress_async.resources.\n"
        f"# {MARKER}\n"
        '"""Blocking resource classes, one module per API, imported when first used."""\n'
    )


def async_all(sources: Sources) -> list[str]:
    """The names in ``botpress_async.__all__`` that blocking code can use, read from source.

    Coroutine functions (``run_bulk``) are left out: blocking code has no coroutine function
    to hand them, and `Client` has the blocking way in (``client.bulk``).
    """
    tree = sources.tree("botpress_async")
    imports = module_imports(tree, "botpress_async", is_package=True)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            names = [str(v) for v in ast.literal_eval(node.value)]
            return [n for n in names if not _is_coroutine_function(sources, imports.get(n))]
    raise LookupError("botpress_async has no __all__")


def _is_coroutine_function(sources: Sources, origin: Import | None) -> bool:
    if origin is None or not origin.module.startswith("botpress_async"):
        return False
    return any(
        isinstance(node, ast.AsyncFunctionDef) and node.name == origin.name
        for node in sources.tree(origin.module).body
    )


def emit(apis: object = None, root: Path = ROOT) -> dict[Path, str]:
    """Every file of the blocking facade (not yet formatted), keyed by absolute path.

    The async resource modules are read from what `codegen.emit_resources` writes now, so
    one run regenerates both sides consistently; ``apis`` is the IR that run loaded.
    """
    fresh: dict[Path, str] = {}
    if apis is not None:
        from codegen import emit_resources

        fresh = emit_resources.emit(apis, root)  # type: ignore[arg-type]
    sources = Sources(root, fresh)
    out: dict[Path, str] = {}
    spec = client_spec()
    out[root / spec.target] = render_class_module(spec, sources)
    for api in APIS:
        spec = resource_spec(api)
        out[root / spec.target] = render_class_module(spec, sources)
    for twins in FUNCTION_TWINS:
        out[root / twins.target] = render_function_module(twins, sources)
    out[root / "botpress_sync" / "resources" / "__init__.py"] = _resources_init()
    out[root / "botpress_sync" / "__init__.py"] = render_init(async_all(sources))
    return out
