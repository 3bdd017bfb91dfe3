"""A session with a running `icpa serve`: boto3 against its AWS-compatible endpoint, the review
API over HTTP with a reviewer's bearer token. Nothing runs in this process."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Final

from icpa_local.moto_patches import execution_name_prefix
from icpa_local.resources import REGION, Names
from icpa_local.reviewapi import HEALTH_PATH
from icpa_local.reviewers import ReviewerTokens
from icpa_local.session import CLI_REVIEWER, CloudSession

UPLOAD_MATCH_TIMEOUT: Final = 15.0


class NoReviewerToken(RuntimeError):
    """The session has no token to call the review API with."""


def probe(review_url: str, timeout: float = 0.3) -> dict[str, Any] | None:
    """The server's health document, or None when nothing (or not an icpa serve) answers."""
    try:
        with urllib.request.urlopen(review_url.rstrip("/") + HEALTH_PATH, timeout=timeout) as response:  # noqa: S310
            info = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("service") == "icpa-serve" else None


def review_url_for(endpoint_url: str) -> str:
    """The review API listens on the endpoint's port + 1 (icpa serve's convention)."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint_url)
    port = parts.port or 80
    return f"{parts.scheme}://{parts.hostname}:{port + 1}"


class RemoteCloud(CloudSession):
    def __init__(
        self,
        endpoint_url: str,
        review_url: str,
        *,
        tokens: ReviewerTokens | None = None,
        token: str | None = None,
        names: Names | None = None,
        default_reviewer: str = CLI_REVIEWER,
        http_timeout: float = 30.0,
    ) -> None:
        self.names = names or Names()
        self.endpoint_url = endpoint_url.rstrip("/")
        self.review_url = review_url.rstrip("/")
        self._tokens = tokens
        self._token = token
        self.default_reviewer = default_reviewer
        self.http_timeout = http_timeout
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(  # type: ignore[call-overload]
                service,
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106 - moto's fake keys
                config=Config(
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=60,
                    max_pool_connections=32,
                ),
            )
        return self._clients[service]

    # -- uploads ---------------------------------------------------------------------------

    def upload(self, body: bytes, key: str) -> str:
        """Put the file in the inbox, then find the execution its event started: the rule names
        it after the key (moto_patches.execution_name_for), and its input names the object's key,
        ETag and version."""
        if not key.startswith("claims/"):
            key = f"claims/{key}"
        put = self.client("s3").put_object(Bucket=self.names.inbox_bucket, Key=key, Body=body)
        return self.find_execution(key, str(put["ETag"]).strip('"'), put.get("VersionId"))

    def find_execution(
        self, key: str, etag: str, version_id: str | None = None, timeout: float = UPLOAD_MATCH_TIMEOUT
    ) -> str:
        prefix = execution_name_prefix(key)
        ruled_out: set[str] = set()
        deadline = time.monotonic() + timeout
        while True:
            for execution in self.executions():
                arn = str(execution["executionArn"])
                if arn in ruled_out or not str(execution["name"]).startswith(prefix):
                    continue
                source = _source(self.describe(arn).get("input"))
                same_object = source.get("key") == key and str(source.get("etag", "")).strip('"') == etag
                if same_object and (version_id is None or source.get("version_id") in (None, version_id)):
                    return arn
                ruled_out.add(arn)
            if time.monotonic() > deadline:
                raise RuntimeError(f"no execution started for s3://{self.names.inbox_bucket}/{key}")
            time.sleep(0.05)

    # -- the reviewers' API ----------------------------------------------------------------

    def token_for(self, reviewer: str | None) -> str | None:
        if self._token is not None:
            return self._token
        if self._tokens is None:
            return None
        return (reviewer and self._tokens.token_for(reviewer)) or self._tokens.token_for(self.default_reviewer)

    def review_api(
        self,
        method: str,
        path: str,
        *,
        reviewer: str | None,
        body: Any = None,
        groups: str = "claims-reviewers",
    ) -> tuple[int, Any]:
        """Over HTTP: the identity is the bearer token's (the reviewer's, else the default
        reviewer's); `groups` is the server's business, not the caller's."""
        headers = {"Accept": "application/json"}
        if reviewer is not None:
            token = self.token_for(reviewer)
            if token is None:
                raise NoReviewerToken(
                    "no reviewer token: pass --token, or --data-dir of the server (its reviewers.json)"
                )
            headers["Authorization"] = f"Bearer {token}"
        return http_call(self.review_url + path, method, body=body, headers=headers, timeout=self.http_timeout)

    def health(self) -> dict[str, Any] | None:
        return probe(self.review_url, timeout=2.0)


def http_call(
    url: str,
    method: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method.upper(), headers=dict(headers or {}))  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback URLs
            status, raw = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, raw = int(error.code), error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def _source(execution_input: Any) -> dict[str, Any]:
    try:
        doc = json.loads(execution_input) if isinstance(execution_input, str) else {}
    except ValueError:
        return {}
    source = doc.get("source") if isinstance(doc, dict) else None
    return source if isinstance(source, dict) else {}
