"""Who is calling: read only from the request context API Gateway builds (never the body).

Two ways in:
- a Cognito user pool authorizer puts the token's claims at `requestContext.authorizer.claims`:
  the reviewer id is `sub` (immutable) or else `cognito:username`, and `cognito:groups` must
  contain the reviewer group;
- an IAM-authorized (SigV4) call puts the caller's ARN at `requestContext.identity.userArn`:
  it is a reviewer only if the ARN starts with the configured allow-list prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

_REVIEWER_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._:-]{0,127}$")
_GROUP_SEPARATORS: Final = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class Reviewer:
    reviewer_id: str
    via: Literal["cognito", "iam"]


@dataclass(frozen=True)
class AuthError:
    status: Literal[401, 403]
    reason: str
    # The caller's id when it is known (a 403): refused attempts are audited with it.
    principal: str | None = None


@dataclass(frozen=True)
class ReviewerAccess:
    group: str
    role_arn_prefix: str | None = None


def identify(request_context: Mapping[str, Any] | None, access: ReviewerAccess) -> Reviewer | AuthError:
    if not isinstance(request_context, Mapping):
        return AuthError(401, "no request context")
    authorizer = request_context.get("authorizer")
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if isinstance(claims, Mapping) and claims:
        return _from_cognito(claims, access)
    identity = request_context.get("identity")
    user_arn = identity.get("userArn") if isinstance(identity, Mapping) else None
    if isinstance(user_arn, str) and user_arn:
        return _from_iam(user_arn, access)
    return AuthError(401, "no authenticated identity")


def _from_cognito(claims: Mapping[str, Any], access: ReviewerAccess) -> Reviewer | AuthError:
    reviewer_id = next(
        (v for v in (claims.get("sub"), claims.get("cognito:username")) if isinstance(v, str) and v),
        None,
    )
    if reviewer_id is None or not _REVIEWER_ID.match(reviewer_id):
        return AuthError(401, "token carries no usable subject")
    if access.group not in groups_of(claims.get("cognito:groups")):
        return AuthError(403, "not in the reviewer group", principal=reviewer_id)
    return Reviewer(reviewer_id, "cognito")


def groups_of(raw: Any) -> frozenset[str]:
    """API Gateway REST renders the groups claim as a string ("a,b" or "[a b]"); a list is
    accepted too. Cognito group names contain no whitespace or commas."""
    if isinstance(raw, list | tuple):
        items = [str(item) for item in raw]
    elif isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        items = _GROUP_SEPARATORS.split(text)
    else:
        return frozenset()
    return frozenset(item.strip() for item in items if item.strip())


def _from_iam(user_arn: str, access: ReviewerAccess) -> Reviewer | AuthError:
    reviewer_id = iam_reviewer_id(user_arn)
    if access.role_arn_prefix is None or not user_arn.startswith(access.role_arn_prefix):
        return AuthError(403, "IAM principal is not an allowed reviewer role", principal=reviewer_id)
    if reviewer_id is None:
        return AuthError(401, "IAM principal has no usable name")
    return Reviewer(reviewer_id, "iam")


def iam_reviewer_id(user_arn: str) -> str | None:
    """arn:aws:sts::123456789012:assumed-role/claims-reviewer/alice
    -> iam:123456789012:assumed-role:claims-reviewer:alice (the ReviewerId alphabet has no '/')."""
    parts = user_arn.split(":", 5)
    if len(parts) != 6 or not parts[4] or not parts[5]:
        return None
    candidate = f"iam:{parts[4]}:{parts[5].replace('/', ':')}"
    return candidate if _REVIEWER_ID.match(candidate) else None
