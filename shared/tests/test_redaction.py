"""PHI never reaches a log line: by field name and by pattern, with adversarial values."""

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from icpa_shared.observability.logging import bind_invocation, clear_invocation, configure_logging
from icpa_shared.observability.redaction import REDACTED, redact_text, redact_value

PHI = {
    "name": "Jane Q. Doe",
    "ssn": "123-45-6789",
    "member": "MBR000123",
    "dob": "1984-07-02",
    "address": "42 Wallaby Way",
    "phone": "(555) 867-5309",
    "email": "jane.doe@example.com",
}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(service="test", version="1.0.0", stream=stream)
    yield stream
    clear_invocation()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "key",
    [
        "name",
        "patient_name",
        "PatientName",
        "patient-name",
        "FIRST_NAME",
        "birthDate",
        "dob",
        "SSN",
        "memberId",
        "member_id",
        "subscriber_id",
        "address",
        "postal_code",
        "phone",
        "telecom",
        "email",
        "patient",
    ],
)
def test_phi_field_names_are_redacted_in_any_case(captured: io.StringIO, key: str) -> None:
    structlog.get_logger().info("claim.received", **{key: "sensitive-value"})
    (line,) = lines(captured)
    assert line[key] == REDACTED
    assert "sensitive-value" not in captured.getvalue()


def test_phi_in_nested_structures_and_free_text(captured: io.StringIO) -> None:
    structlog.get_logger().info(
        "claim.debug",
        payload={"patient": {"name": PHI["name"]}, "lines": [{"note": f"call {PHI['phone']}"}]},
        detail=f"member {PHI['member']} ssn {PHI['ssn']} at {PHI['address']} mail {PHI['email']}",
        items=[("born", PHI["dob"])],
        raw=f"dob {PHI['dob']}".encode(),
    )
    text = captured.getvalue()
    for value in PHI.values():
        assert value not in text, value
    assert "Wallaby" not in text


def test_phi_in_exception_messages(captured: io.StringIO) -> None:
    try:
        raise ValueError(f"bad member {PHI['member']}, ssn {PHI['ssn']}")
    except ValueError:
        structlog.get_logger().exception("step.failed")
    text = captured.getvalue()
    assert PHI["member"] not in text and PHI["ssn"] not in text
    assert "ValueError" in text


@pytest.mark.parametrize(
    "text",
    [
        "123456789",
        "123 45 6789",
        "mbr0001234",
        "SUB12345678",
        "+1 555.867.5309",
        "555-867-5309",
        "07/02/1984",
        "1984-07-02",
        "x.y+tag@sub.example.org",
        "1600 Pennsylvania Avenue NW",
        "221B Baker St",
    ],
)
def test_patterns(text: str) -> None:
    assert redact_text(f"before {text} after").count(REDACTED) >= 1
    assert text not in redact_text(f"before {text} after")


def test_safe_values_survive() -> None:
    value = {
        "claim_id": "CLM-0001",
        "score": 0.42,
        "route": "AUTO_APPROVE",
        "npi": "1234567893",
        "amount": "150.00",
        "procedure_code": "99213",
        "count": 3,
        "ok": True,
    }
    assert redact_value(value) == value


def test_correlation_ids_are_bound(captured: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    class Ctx:
        aws_request_id = "req-1"
        function_name = "icpa-fraud"

    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-abc-def;Parent=1;Sampled=1")
    bind_invocation(Ctx(), claim_id="CLM-0001")
    structlog.get_logger().info("claim.scored")
    (line,) = lines(captured)
    assert line["request_id"] == "req-1"
    assert line["function_name"] == "icpa-fraud"
    assert line["xray_trace_id"] == "1-abc-def"
    assert line["claim_id"] == line["correlation_id"] == "CLM-0001"
    assert line["service"] == "test" and line["service_version"] == "1.0.0"
    assert line["level"] == "info" and "timestamp" in line


def test_step_handler_honours_the_log_level_setting_when_a_service_passes_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from icpa_shared.handler import step_handler

    monkeypatch.setenv("ICPA_LOG_LEVEL", "ERROR")
    step_handler(service="probe", version="1.0.0")  # configures logging as a handler module does
    structlog.get_logger().info("not.shown")
    structlog.get_logger().error("shown")
    events = [json.loads(line)["event"] for line in capsys.readouterr().out.splitlines()]
    assert events == ["shown"]
    clear_invocation()
