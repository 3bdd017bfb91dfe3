"""Per-service settings: one pydantic-settings model per service, validated at cold start."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BucketName = str


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclass it; read settings nowhere else."""

    model_config = SettingsConfigDict(env_prefix="ICPA_", frozen=True, extra="ignore")

    environment: Literal["local", "dev", "staging", "prod"] = "local"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    claims_table: str = Field(default="icpa-claims", min_length=3, max_length=255)
    audit_table: str = Field(default="icpa-audit", min_length=3, max_length=255)
    documents_bucket: BucketName = Field(default="icpa-documents", min_length=3, max_length=63)
