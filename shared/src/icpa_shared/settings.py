"""Per-service settings: one pydantic-settings model per service, validated at cold start.

A service's model subclasses ServiceSettings and the mixins for the pieces it shares with other
services (each piece declared here once: its env var names, defaults and validation)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from pydantic_settings import BaseSettings, SettingsConfigDict

from icpa_shared.contracts.types import S3BucketName

BucketName = S3BucketName
"""A bucket setting: S3's naming rules (3-63 of [a-z0-9.-], no "..", not an IP, no reserved affixes)."""

AgentId = Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z]{10}$")]
"""A Bedrock agent id or agent alias id: 10 letters or digits (the template's AllowedPattern)."""

_CONFIG = SettingsConfigDict(env_prefix="ICPA_", frozen=True, extra="ignore")


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclass it; read settings nowhere else."""

    model_config = _CONFIG

    environment: Literal["local", "dev", "staging", "prod"] = "local"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    claims_table: str = Field(default="icpa-claims", min_length=3, max_length=255)
    audit_table: str = Field(default="icpa-audit", min_length=3, max_length=255)
    documents_bucket: BucketName = Field(default="icpa-documents")


class PoliciesTableSettings(BaseSettings):
    """ICPA_POLICIES_TABLE: the policies table a service reads coverage from."""

    model_config = _CONFIG

    policies_table: str = Field(default="icpa-policies", min_length=3, max_length=255)


class MetricsSettings(BaseSettings):
    """POWERTOOLS_METRICS_NAMESPACE: metrics are on when Powertools' namespace is set (the
    template sets it for every function)."""

    model_config = _CONFIG

    metrics_namespace: str | None = Field(default=None, validation_alias="POWERTOOLS_METRICS_NAMESPACE")


class BedrockAgentSettings(BaseSettings):
    """ICPA_BEDROCK_AGENT_ID, ICPA_BEDROCK_AGENT_ALIAS_ID, ICPA_BEDROCK_TIMEOUT_SECONDS. Whether
    the agent is required is the service's rule (its own model validator)."""

    model_config = _CONFIG

    bedrock_agent_id: AgentId | None = None
    bedrock_agent_alias_id: AgentId | None = None
    # The agent's read timeout: below the functions' Timeout (template: 100 s).
    bedrock_timeout_seconds: int = Field(default=60, ge=5, le=90)
