"""DynamoDB expressions parsed once per expression text, and walked without rebuilding maps
(sections 17, 18 and 19 of
icpa_local.moto_patches).

With the handlers in worker processes, moto's side of their calls is the larger half of the one
state process's CPU, and UpdateItem was its most expensive operation (~2.2-3.3 ms, against ~0.9
for a PutItem). A py-spy profile (GIL samples, 400 claims, 2 workers) put a quarter of the
forwarded calls' cost in UpdateItem, most of it parsing: moto tokenizes and parses the same
UpdateExpression twice per call (once in the response to list the names and values it uses, once
in the backend), and lexes every ConditionExpression (twice for an UpdateItem, and for every
conditional PutItem: Powertools' idempotency condition is 150 characters) with a regex per
token on a string sliced after each one. Claims repeat a handful of expression texts.

17. `UpdateExpressionParser.make(text)` returns the AST it built for the same text before. Every
    caller in moto only reads it: the response lists its placeholders (`find_clauses`), and
    `UpdateExpressionValidator` deep-copies it before it resolves, evaluates or normalizes
    anything (`Validator.__init__`); `tests` hold that to moto's own code.
18. `ConditionExpressionParser._lex_condition_expression` returns a new deque of the tokens it
    lexed for the same text before. The tokens are immutable namedtuples with no children;
    every later stage builds new nodes from them (names and values are substituted after the
    lexer, so they are not part of the key).

19. `DepthFirstTraverser.traverse` reads the traverser's processing map once per traversal. moto's
    walk asks `_processing_map()` for a new dict of bound methods twice for every node it visits
    (`nodes_to_be_processed`, then `process`), ten traversals per UpdateItem. The map is the
    same on every call (each traverser's map is a literal of its own bound methods, whose state
    they read when called), so the walk is moto's walk, in the same order, with the same
    `pre_processing_of_child` calls and the same replacement of processed nodes in their parent.
    A traverser that overrides `traverse_node_recursively`, `process` or `nodes_to_be_processed`
    (none in moto 5.2.5) keeps moto's walk.

17 and 18 are bounded (`MAX_ENTRIES` texts of at most `MAX_TEXT` characters, the DynamoDB limit on an
expression; longer texts are parsed every time, as before), thread-safe, and remember only
successes: a text that fails to parse raises its error again on every call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

from icpa_local.moto_patches.registry import Patch, moto_module

MAX_ENTRIES: Final = 512
"""Expression texts remembered per cache; the least recently used one is forgotten first."""

MAX_TEXT: Final = 4096
"""DynamoDB refuses an expression longer than 4 KB: a longer text is never remembered."""

V = TypeVar("V")


class TextCache(Generic[V]):
    """A bounded least-recently-used map from an expression's text to what parsing it built."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_build(self, key: Any, text: str, build: Callable[[], V]) -> V:
        if len(text) > MAX_TEXT:
            return build()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
        built = build()  # outside the lock: a parse error propagates and nothing is stored
        with self._lock:
            self.misses += 1
            self._entries[key] = built
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return built

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


UPDATE_ASTS: Final[TextCache[Any]] = TextCache()
CONDITION_TOKENS: Final[TextCache[tuple[Any, ...]]] = TextCache()


# --- 17. UpdateExpression ASTs --------------------------------------------------------------------


def _remembered_make(original: Any) -> classmethod[Any, Any, Any]:
    make = original.__func__  # the classmethod as bound to UpdateExpressionParser

    def remembered(cls: type, expression_str: str) -> Any:
        if not isinstance(expression_str, str):
            return make(cls, expression_str)
        return UPDATE_ASTS.get_or_build((cls, expression_str), expression_str, lambda: make(cls, expression_str))

    remembered.__doc__ = make.__doc__
    return classmethod(remembered)


# --- 18. ConditionExpression tokens ---------------------------------------------------------------


def _remembered_lex(original: Callable[[Any], deque[Any]]) -> Callable[[Any], deque[Any]]:
    def lex(self: Any) -> deque[Any]:
        text = self.condition_expression
        if not isinstance(text, str):
            return original(self)
        tokens = CONDITION_TOKENS.get_or_build((type(self), text), text, lambda: tuple(original(self)))
        return deque(tokens)

    return lex


# --- 19. One processing map per traversal ---------------------------------------------------------


def _walk_once_mapped(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    ast_nodes = moto_module("moto.dynamodb.parsing.ast_nodes")
    base = ast_nodes.DepthFirstTraverser
    node_class = ast_nodes.Node
    own = (
        base.__dict__["traverse_node_recursively"],
        base.__dict__["process"],
        base.__dict__["nodes_to_be_processed"],
    )

    def traverse(self: Any, node: Any) -> Any:
        cls = type(self)
        if (cls.traverse_node_recursively, cls.process, cls.nodes_to_be_processed) != own:
            return original(self, node)
        processors = tuple(self._processing_map().items())
        kinds = tuple(kind for kind, _ in processors)
        pre_processing_of_child = self.pre_processing_of_child

        def walk(node: Any, child_id: int) -> Any:
            # moto's DepthFirstTraverser.traverse_node_recursively, with the map read once.
            if isinstance(node, node_class):
                parent_node = node.parent
                if node.children is not None:
                    for i, child_node in enumerate(node.children):
                        pre_processing_of_child(node, i)
                        walk(child_node, i)
                if isinstance(node, kinds):
                    for kind, processor in processors:
                        if isinstance(node, kind):
                            node = processor(node)
                            break
                    node.parent = parent_node
                    if parent_node:
                        parent_node.children[child_id] = node
            return node

        return walk(node, -1)

    return traverse


def _owners() -> tuple[Any, Any, Any]:
    return (
        moto_module("moto.dynamodb.parsing.expressions").UpdateExpressionParser,
        moto_module("moto.dynamodb.comparisons").ConditionExpressionParser,
        moto_module("moto.dynamodb.parsing.ast_nodes").DepthFirstTraverser,
    )


def patched_attributes() -> tuple[tuple[Any, str], ...]:
    """The (owner, name) of patches 17-19: what `REGISTRY.undone` takes to compare with moto."""
    parser, conditions, traverser = _owners()
    return (parser, "make"), (conditions, "_lex_condition_expression"), (traverser, "traverse")


def patches() -> list[Patch]:
    parser, conditions, traverser = _owners()
    return [
        Patch(parser, "make", _remembered_make(parser.__dict__["make"])),
        Patch.around(conditions, "_lex_condition_expression", _remembered_lex),
        Patch.around(traverser, "traverse", _walk_once_mapped),
    ]
