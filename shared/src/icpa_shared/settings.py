"""Per-service settings: one pydantic model per service, read from the environment and validated
at cold start.

A service's model subclasses ServiceSettings and the mixins for the pieces it shares with other
services (each piece declared here once: its env var names, defaults and validation).

The environment is read by EnvSettings below, not pydantic-settings: importing pydantic-settings
(and python-dotenv with it) and building its BaseSettings cost ~15-20 ms CPU of a ~400 ms cold start
(fraud's zip, benchmarks/cold_import.py), for the one thing we use it for. EnvSettings keeps its
rules: `ICPA_<field>` or the field's validation_alias, names case-insensitive, complex fields
(models, lists, dicts) given as JSON, keyword arguments over the environment, defaults validated.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import types
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from icpa_shared.contracts.types import S3BucketName

BucketName = S3BucketName
"""A bucket setting: S3's naming rules (3-63 of [a-z0-9.-], no "..", not an IP, no reserved affixes)."""

AgentId = Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z]{10}$")]
"""A Bedrock agent id or agent alias id: 10 letters or digits (the template's AllowedPattern)."""

_COLLECTIONS = (list, dict, set, frozenset, tuple)


def _is_complex(annotation: Any) -> bool:
    """Whether an env value for this annotation is JSON (as pydantic-settings decides it)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_complex(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_is_complex(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin in _COLLECTIONS or annotation in _COLLECTIONS:
        return True
    return isinstance(annotation, type) and (issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation))


class EnvSettings(BaseModel):
    """A settings model filled from the environment: `ICPA_<FIELD>` (any case), or the field's
    `validation_alias` as the variable's name; keyword arguments win over the environment."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)
    env_prefix: ClassVar[str] = "ICPA_"

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**self._from_environment(), **values})

    @classmethod
    def _from_environment(cls) -> dict[str, Any]:
        environ = {name.lower(): value for name, value in os.environ.items()}
        found: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            key = field.validation_alias if isinstance(field.validation_alias, str) else name
            variable = (key if key != name else f"{cls.env_prefix}{name}").lower()
            if variable not in environ:
                continue
            value: Any = environ[variable]
            if _is_complex(field.annotation):
                # Not JSON: left as text, so validation refuses it and names the field.
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            found[key] = value
        return found


class ServiceSettings(EnvSettings):
    """Settings every service has. Subclass it; read settings nowhere else."""

    environment: Literal["local", "dev", "staging", "prod"] = "local"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    claims_table: str = Field(default="icpa-claims", min_length=3, max_length=255)
    audit_table: str = Field(default="icpa-audit", min_length=3, max_length=255)
    documents_bucket: BucketName = Field(default="icpa-documents")


class PoliciesTableSettings(EnvSettings):
    """ICPA_POLICIES_TABLE: the policies table a service reads coverage from."""

    policies_table: str = Field(default="icpa-policies", min_length=3, max_length=255)


class MetricsSettings(EnvSettings):
    """POWERTOOLS_METRICS_NAMESPACE: metrics are on when Powertools' namespace is set (the
    template sets it for every function)."""

    metrics_namespace: str | None = Field(default=None, validation_alias="POWERTOOLS_METRICS_NAMESPACE")


class BedrockAgentSettings(EnvSettings):
    """ICPA_BEDROCK_AGENT_ID, ICPA_BEDROCK_AGENT_ALIAS_ID, ICPA_BEDROCK_TIMEOUT_SECONDS. Whether
    the agent is required is the service's rule (its own model validator)."""

    bedrock_agent_id: AgentId | None = None
    bedrock_agent_alias_id: AgentId | None = None
    # The agent's read timeout: below the functions' Timeout (template: 100 s).
    bedrock_timeout_seconds: int = Field(default=60, ge=5, le=90)
