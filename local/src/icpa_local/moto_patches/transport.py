"""The in-process request path (sections 12 and 13 of icpa_local.moto_patches).

Every AWS call a handler makes locally goes through botocore's full client (parameter
validation, serialization, endpoint rules, parsing: all kept) and then moto's stubber. Two costs
on that path buy nothing in-process, measured on this machine (2026-12-01, py-spy over a
200-claim benchmark run): SigV4 signing (~7% of the local cloud's CPU) and the stubber finding
the service and route for each request (~8%: a scan of moto's ~190 service URL patterns, then
moto's `urls` property, which re-imports the service's url module and formats and compiles every
route on every request).

12. Unsigned in-process requests: while moto intercepts in-process (`botocore_stubber.enabled`)
    and moto's IAM authentication is off (`INITIAL_NO_AUTH_ACTION_COUNT` infinite, the default),
    nothing but S3 reads a request's signature. Standard signing of other services then adds no
    Authorization header: every other part of `RequestSigner.sign` (signer choice, before-sign
    handlers, the request's URL and body) is unchanged. S3 requests and presigned URLs and POSTs
    are still signed (moto's S3 treats an unsigned request as anonymous). What moto's other
    services derive from the header is derived the same without it: the region comes from the
    endpoint's host first (the header is moto's third choice), the account from the access key,
    moto's default account for the local cloud's credentials either way.
13. Routes found once: the services a request's URL may belong to (every matching pattern, in
    moto's order) are remembered per URL (bounded), and each service's routes are compiled once
    per service. The dispatch that follows is moto's own, except that the handler class's
    action names (`inspect.getmembers`, ~0.2 ms a request) are read once per class.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from icpa_local.moto_patches.registry import Patch, moto_module

# --- 12. Unsigned in-process requests -----------------------------------------------------------------

_PRESIGNED_SUFFIXES: Final = ("-query", "-presign-post")  # what _choose_signer makes of presigning
_SIGNED_SERVICES: Final = frozenset({"s3", "s3express", "s3-outposts", "s3-object-lambda"})
"""moto's S3 reads the signature: a request without one is anonymous (403 on a private object),
and the region and payload mode come from the signed headers. S3 requests stay signed."""


class _NoSignature:
    """Standard signing's stand-in while moto answers in-process: adds nothing to the request."""

    def add_auth(self, request: Any) -> None:
        return None


_NO_SIGNATURE: Final = _NoSignature()


def signature_unread() -> bool:
    """True while no one reads a signature: moto intercepts in-process, IAM auth off."""
    from moto import settings
    from moto.core.models import botocore_stubber

    return bool(botocore_stubber.enabled) and math.isinf(float(settings.INITIAL_NO_AUTH_ACTION_COUNT))


def _unsigned_in_process(
    original: Callable[..., Any], unread: Callable[[], bool] = signature_unread
) -> Callable[..., Any]:
    """Standard signing unless `unread()`: then, for other services than S3 and other than
    presigning, no signature. A handler worker process (icpa_local.workers) applies the same
    rule to the requests it forwards, told by the state process that nothing reads them."""

    def get_auth_instance(self: Any, signing_name: str, region_name: str, signature_version: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        version = str(signature_version if signature_version is not None else self.signature_version)
        if signing_name not in _SIGNED_SERVICES and not version.endswith(_PRESIGNED_SUFFIXES) and unread():
            return _NO_SIGNATURE
        return original(self, signing_name, region_name, signature_version, **kwargs)

    get_auth_instance.__wrapped__ = original  # type: ignore[attr-defined]
    return get_auth_instance


# --- 13. Routes found once --------------------------------------------------------------------------

URLS_REMEMBERED: Final = 4096
"""Service lookups kept per URL: the JSON-protocol services have one URL per region; S3's
differ per key, so they are bounded (the oldest forgotten first)."""

_services_by_url: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_routes: dict[tuple[str, bool], list[tuple[re.Pattern[str], Callable[..., Any]]]] = {}
_lock = threading.Lock()


def _services_for(clean_url: str) -> tuple[str, ...]:
    """Every service whose URL pattern matches, in moto's order (moto tries each in turn)."""
    with _lock:
        found = _services_by_url.get(clean_url)
        if found is not None:
            _services_by_url.move_to_end(clean_url)
            return found
    backend_index = moto_module("moto.backend_index")
    services = tuple(name for name, pattern in backend_index.backend_url_patterns if pattern.match(clean_url))
    with _lock:
        _services_by_url[clean_url] = services
        while len(_services_by_url) > URLS_REMEMBERED:
            _services_by_url.popitem(last=False)
    return services


def _routes_of(service: str) -> list[tuple[re.Pattern[str], Callable[..., Any]]]:
    """moto's `backend.urls` for the service, in its order, compiled: a function of the backend's
    class (its url module's bases and paths) and of the ISO-regions setting, so built once per
    pair. The backend is looked up (and created, as moto does) only to build them."""
    import moto.backends as backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.base_backend import BackendDict
    from moto.settings import enable_iso_regions

    key = (service, bool(enable_iso_regions()))
    with _lock:
        routes = _routes.get(key)
    if routes is None:
        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            account = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = account["us-east-1"] if "us-east-1" in account else account["aws"]
        else:
            backend = backend_dict["global"]
        routes = [(re.compile(url), handler) for url, handler in backend.urls.items()]
        with _lock:
            _routes[key] = routes
    return routes


_NOT_IMPLEMENTED: Final = re.compile(r"https?://.+\.amazonaws.com/.*")


def _process_request(self: Any, request: Any) -> Any:
    """moto 5.2.5's `BotocoreStubber.process_request` with its lookups remembered: same order,
    same checks, same dispatch."""
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.exceptions import HTTPException, ServiceNotWhitelisted
    from moto.core.request import normalize_request
    from moto.core.utils import get_equivalent_url_in_aws_domain
    from moto.moto_api import recorder

    parsed_url, _ = get_equivalent_url_in_aws_domain(request.url)
    clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    if passthrough_url(clean_url):
        return None
    for service in _services_for(clean_url):
        if passthrough_service(service):
            return None
        if not service_whitelisted(service):
            raise ServiceNotWhitelisted(service)
        for pattern, method_to_execute in _routes_of(service):
            if pattern.match(clean_url):
                normalized_request = normalize_request(request)
                try:
                    recorder._record_request(normalized_request)
                    status, headers, body = method_to_execute(
                        normalized_request, normalized_request.raw_url, normalized_request.headers
                    )
                except HTTPException as e:
                    status, headers, body = e.code, e.get_headers(), e.get_body()
                return status, headers, body
    if _NOT_IMPLEMENTED.match(clean_url):
        return 404, {}, "Not yet implemented"
    return None


# --- 13b. Action names once per class -----------------------------------------------------------------

_action_names: dict[tuple[type, tuple[tuple[int, int], ...]], frozenset[str]] = {}


def _memoized_method_names(original: Callable[[Any], list[str]]) -> Callable[[Any], frozenset[str]]:
    """moto's `call_action` asks `inspect.getmembers(cls)` for the handler class's function names
    on every request (~0.2 ms). The answer changes only when a class of the MRO gains or loses an
    attribute (a patch adding an action): the key carries each class's attribute count."""

    def method_names_from_class(clazz: Any) -> frozenset[str]:
        key = (clazz, tuple((id(k), len(vars(k))) for k in clazz.__mro__))
        names = _action_names.get(key)
        if names is None:
            names = _action_names[key] = frozenset(original(clazz))
        return names

    method_names_from_class.__wrapped__ = original  # type: ignore[attr-defined]
    return method_names_from_class


def patches() -> list[Patch]:
    signers = moto_module("botocore.signers")
    stubber = moto_module("moto.core.botocore_stubber")
    return [
        Patch.around(signers.RequestSigner, "get_auth_instance", _unsigned_in_process),
        Patch(stubber.BotocoreStubber, "process_request", _process_request),
        Patch.around(moto_module("moto.core.responses"), "method_names_from_class", _memoized_method_names),
    ]
