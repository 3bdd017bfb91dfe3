"""Where moto lacks a piece of the local cloud, it is patched here, and only here.

Pinned to moto 5.2.5 (`MOTO_VERSION`): `install()` refuses any other version, because every
patch below replaces a private method or module attribute of that exact release. Each patch is
a reversible `registry.Patch`; the journal's hooks (icpa_local.persistence) go through the same
registry and its one version check.

1. Lambda without Docker (`lambda_inprocess`): `LambdaFunction._invoke_lambda` (the only method
   that touches Docker) calls the in-process Python handler registered for the function name
   instead. An exception becomes `{"errorType": <class name>, "errorMessage": ...}` with
   errored=True, so Step Functions' Retry/Catch match on the class name exactly as on AWS.
2. EventBridge -> Step Functions (`events`): `Rule.send_to_targets` has no `states` target in
   moto. A wrapper starts a named execution for such targets, applying the target's
   InputTransformer (moto skips transformers for S3 events) to the event normalized to AWS's S3
   shape (moto says `eTag` where AWS says `etag`), and passes other targets on to moto.
3. Time scale (`timescale`): Retry intervals, Wait states and the waitForTaskToken
   callback/heartbeat deadlines sleep in real time in moto. They are scaled where the
   interpreter waits, not in the ASL, so the execution history still shows the declared values.
   Lambda task timeouts and the state machine's TimeoutSeconds are deliberately NOT scaled: they
   bound real compute, and a scaled 60 s task timeout (0.6 s) would fail cold first invocations
   on a slow machine.
4. Speed (`speed`): one boto3 client per (service, region, endpoint) for the interpreter's own
   calls instead of a new client per task (measured here: ~2x executions/s).
5. Execution status change (`events`): moto emits no "Step Functions Execution Status Change"
   event. The worker's `terminated()` is wrapped to call `on_execution_ended` hooks and to put
   the AWS-shaped event on the default bus, where rules with Lambda targets (also missing in
   moto's rule targets) invoke the in-process handler asynchronously, as EventBridge does.
6. waitForTaskToken with HeartbeatSeconds (`timescale`): moto creates the heartbeat endpoint
   after the task's Lambda returned and then waits on heartbeats only, so an answer that arrived
   in between (a fast reviewer) was never seen and the task "timed out" on its heartbeat. A
   heartbeat endpoint created after the outcome is notified at once.
7. Speed (`speed`): moto parses the ASL with ANTLR and preprocesses it for every execution (the
   largest cost of a local claim). The program is cached per definition: its components keep no
   execution state (that lives in each execution's Environment); definitions with Map or
   Parallel states, whose evaluation keeps workers on the component, are built per execution.
   The local cloud's own clients (a rule starting an execution, the status-change event) are
   built once per (service, region), not twice per execution.
8. Speed (`dynamodb_query`): moto's Query sorts the whole table and then filters by the hash
   key, so a keyed lookup grew with the table. Here moto's own query runs on the partition only
   (the table's own storage by hash key; a partition map per index kept by the writes).
9. Speed (`json_results`): JSON-protocol answers (DynamoDB, Step Functions) built with the same
   JSON as moto's generic serializer, without its per-member attribute picking (GetExecutionHistory
   20 ms -> a few ms per call; a DynamoDB answer ~0.7 ms -> ~0.1 ms).
10. Speed (`speed`): JSONPath strings parsed once (jsonpath_ng builds a parser per call).
11. Callbacks to a closed task (`task_tokens`): moto took SendTaskSuccess/Failure/Heartbeat for
    a stopped execution's token (its status stays RUNNING until the waiting thread wakes), an
    ended one's (SendTaskFailure) and an already answered task's. They fail with TaskTimedOut,
    as on AWS; a token no execution issued stays InvalidToken.
12. Speed (`transport`): in-process requests are not SigV4-signed while nothing reads a
    signature (moto intercepting in-process, its IAM authentication off); presigned URLs still are.
13. Speed (`transport`): the stubber's service and route lookups are remembered (per URL, and
    per backend class), not redone for every request; moto's dispatch is unchanged.
14. Speed (`copies`): the interpreter's `copy.deepcopy` of the state's JSON data (every state's
    input read, result set, JSONPath sample, ResultPath merge, the history handed out) is a JSON
    copy in the modules that make them: dicts and lists copied, immutable leaves shared; any other
    value (an object, a shared or cyclic sub-structure, nesting over 100 levels) is deepcopy's.
15. Speed (`copies`): request ids drawn with one `choices` call on moto's own random (same
    alphabet and length, still deterministic when moto's random is seeded) instead of one
    `choice` per character.
16. Speed (`copies`): the stubber's read of MOTO_S3_CUSTOM_ENDPOINTS on every request looks in
    os.environ's own dict (what `os.environ.get` reads, without its KeyError on a miss), so a
    change through os.environ still applies to the next request.
17. Speed (`dynamodb_expressions`): an UpdateExpression is tokenized and parsed once per text
    (moto parsed it twice per UpdateItem); every caller only reads the AST, and the validator
    deep-copies it before it resolves anything.
18. Speed (`dynamodb_expressions`): a ConditionExpression is lexed once per text (a regex per
    token on a string sliced after each one, for every conditional write); names and values are
    substituted after the lexer, as before.
19. Speed (`dynamodb_expressions`): the update validator's ten traversals read each traverser's
    processing map once per traversal, not twice per node; same walk, same order.
20. Speed (`copies`): an answer's body is scanned for an XML `<RequestId>` to replace only when
    it holds that text (moto ran the regex over every JSON answer and history too).
21. Speed (`wsgi_requests`): a plain request's WSGI environ is written directly, the same keys,
    values and order as werkzeug's test-client builder that moto runs for every request;
    any other request (a host or path the builder would rewrite, a refused header) is moto's.
22. Speed (`dynamodb_items`): an item is sized once as it is built, with a running total, not
    once per attribute inserted (moto re-summed the whole item at every insert: quadratic in
    the item's width); refused at the same attribute with the same error.
23. Speed (`lambda_inprocess`): a Lambda task's plain synchronous Invoke reaches the function's
    moto backend directly (`LambdaFunction.invoke`, moto's response-size check and response
    fields), without the interpreter's boto3 client, botocore and moto's HTTP dispatch; any
    other invoke (a qualifier, an invocation type, an unknown function) is
    the API's, refusals included. The state machine is still recorded as the invoke's caller.
"""

from __future__ import annotations

from icpa_local.moto_patches import (
    copies,
    dynamodb_expressions,
    dynamodb_items,
    dynamodb_query,
    events,
    json_results,
    lambda_inprocess,
    speed,
    task_tokens,
    timescale,
    transport,
    wsgi_requests,
)
from icpa_local.moto_patches.events import (
    ASYNC_ATTEMPTS,
    ASYNC_RETRY_SECONDS,
    _async_invocations,
    aws_shaped,
    execution_name_for,
    execution_name_prefix,
    status_change_event,
    wait_for_async_invocations,
)
from icpa_local.moto_patches.lambda_inprocess import LambdaContext
from icpa_local.moto_patches.registry import MOTO_VERSION, REGISTRY, Patch, PatchRegistry, moto_module
from icpa_local.moto_patches.state import (
    STATE,
    Handler,
    PatchState,
    in_handler,
    running_handler,
    scaled,
    set_time_scale,
)
from icpa_local.moto_patches.timescale import ScaledEvent

__all__ = [
    "ASYNC_ATTEMPTS",
    "ASYNC_RETRY_SECONDS",
    "MOTO_VERSION",
    "REGISTRY",
    "STATE",
    "Handler",
    "LambdaContext",
    "Patch",
    "PatchRegistry",
    "PatchState",
    "ScaledEvent",
    "_async_invocations",
    "aws_shaped",
    "execution_name_for",
    "execution_name_prefix",
    "in_handler",
    "install",
    "moto_module",
    "running_handler",
    "scaled",
    "set_time_scale",
    "status_change_event",
    "wait_for_async_invocations",
]

GROUP = "moto_patches"


def _patches() -> list[Patch]:
    return [
        *lambda_inprocess.patches(),
        *events.patches(),
        *timescale.patches(),
        *speed.patches(),
        *dynamodb_query.patches(),
        *json_results.patches(),
        *task_tokens.patches(),
        *transport.patches(),
        *copies.patches(),
        *dynamodb_expressions.patches(),
        *wsgi_requests.patches(),
        *dynamodb_items.patches(),
    ]


def install(time_scale: float | None = None) -> None:
    """Apply every patch once per process (idempotent); optionally set the time scale."""
    if time_scale is not None:
        set_time_scale(time_scale)
    REGISTRY.install(GROUP, _patches)
    STATE.installed = True
