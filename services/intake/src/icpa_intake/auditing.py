"""Audit events recorded once per fact, so a retried or redelivered step does not add a
second event for the same input."""

from __future__ import annotations

from typing import Any

from icpa_shared.audit import AuditRecorder, AuditStore
from icpa_shared.contracts import AuditEvent
from icpa_shared.digest import sha256_hex

SERVICE = "intake"


def record_once(
    store: AuditStore, *, version: str, claim_id: str, step: str, input_value: Any, **fields: Any
) -> AuditEvent:
    digest = sha256_hex(input_value)
    for event in store.events(claim_id):
        if event.step == step and event.input_digest == digest:
            return event
    recorder = AuditRecorder(store=store, service=SERVICE, service_version=version)
    return recorder.record(claim_id=claim_id, step=step, input_value=input_value, **fields)
