"""FHIR R4 `Claim` -> the fields of ICPA's normalized `Claim`.

The resource is validated with fhir.resources' R4B models (`fhir.resources.R4B.claim.Claim`;
the package's top-level `fhir.resources.claim` is FHIR R5, whose Claim differs from R4's; R4B
left Claim as it was in R4).

Conventions for the files ICPA accepts (the synthetic files follow them):

- claim_id: `Claim.identifier` with system `CLAIM_ID_SYSTEM`, else the first identifier, else
  `Claim.id`.
- claim_type: "institutional" when `Claim.type.coding.code` says so, otherwise professional.
- member_id: the Patient `Claim.patient` points at: a contained (`#id`) Patient's identifier with
  `MEMBER_ID_SYSTEM`, or the logical reference `Claim.patient.identifier`.
- patient (PHI): the contained Patient's name, birthDate, gender and first address.
- policy_id: the focal (else first) `Claim.insurance[].coverage`: a contained Coverage's identifier
  with `POLICY_ID_SYSTEM`, or the logical reference's identifier.
- subscriber_id: the contained Coverage's `subscriberId` (or `subscriber.identifier` with
  `SUBSCRIBER_ID_SYSTEM`), else an extension `SUBSCRIBER_EXTENSION_URL` (valueString or
  valueIdentifier) on that insurance entry or on the Claim.
- provider_npi: `Claim.provider.identifier` with system `NPI_SYSTEM`, or the identifier of the
  contained Practitioner/Organization it points at.
- service_date_from/to: `Claim.billablePeriod` start/end, else the earliest/latest item date.
- received_date: `Claim.created` (its UTC date).
- diagnosis_codes: `Claim.diagnosis[]` in `sequence` order, the coding with `ICD10CM_SYSTEM`.
- lines: `Claim.item[]` in `sequence` order: productOrService (CPT or HCPCS system) -> procedure
  code, modifier -> modifiers, quantity -> units (default 1), net (else unitPrice x quantity x
  factor) -> charge, servicedDate (or servicedPeriod.start) -> service date, diagnosisSequence ->
  diagnosis pointers.
- total_charge: `Claim.total`, else the sum of the lines.

What cannot be mapped becomes a `Problem` (a reason code and a field path); values are never
echoed back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from icpa_intake.domain.problems import Problem
from icpa_shared.contracts import reasons

CLAIM_ID_SYSTEM = "https://icpa.example/fhir/sid/claim-id"
MEMBER_ID_SYSTEM = "https://icpa.example/fhir/sid/member-id"
POLICY_ID_SYSTEM = "https://icpa.example/fhir/sid/policy-id"
SUBSCRIBER_ID_SYSTEM = "https://icpa.example/fhir/sid/subscriber-id"
SUBSCRIBER_EXTENSION_URL = "https://icpa.example/fhir/StructureDefinition/subscriber-id"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEMS = frozenset(
    {
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "urn:oid:2.16.840.1.113883.6.285",
    }
)
PROCEDURE_SYSTEMS = frozenset({CPT_SYSTEM}) | HCPCS_SYSTEMS


class FhirMapping:
    """The result of mapping: candidate fields for the shared Claim, and what went wrong."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.problems: list[Problem] = []

    def problem(self, code: str, location: str) -> None:
        self.problems.append(Problem(code, f"fhir.{location}"))


def map_fhir_claim(body: dict[str, Any]) -> FhirMapping:
    """Validate `body` as a FHIR R4 Claim and map it; structural FHIR errors are
    SCHEMA_VIOLATION problems at their FHIR paths."""
    from fhir.resources.R4B.claim import Claim as FhirClaim  # lazy: only FHIR files pay for it
    from pydantic import ValidationError

    out = FhirMapping()
    try:
        resource = FhirClaim.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            out.problem(reasons.SCHEMA_VIOLATION, _path(error.get("loc", ())))
        return out
    _map(resource, out)
    return out


def _path(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _map(claim: Any, out: FhirMapping) -> None:
    contained = {r.id: r for r in (claim.contained or []) if getattr(r, "id", None)}
    f = out.fields
    f["schema_version"] = "1.0"
    f["claim_id"] = _claim_id(claim)
    if f["claim_id"] is None:
        out.problem(reasons.SCHEMA_VIOLATION, "identifier")
    f["claim_type"] = _claim_type(claim)

    patient = _resolve(claim.patient, contained, "Patient")
    f["member_id"] = _identifier_value(_identifiers_of(claim.patient, patient), MEMBER_ID_SYSTEM)
    if f["member_id"] is None:
        out.problem(reasons.SCHEMA_VIOLATION, "patient.identifier")
    if patient is not None:
        f["patient"] = _patient(patient)

    _map_insurance(claim, contained, out)

    provider = _resolve(claim.provider, contained, None)
    npi = _identifier_value(_identifiers_of(claim.provider, provider), NPI_SYSTEM, fallback_any=False)
    f["provider_npi"] = npi
    if npi is None:
        out.problem(reasons.INVALID_PROVIDER_ID, "provider.identifier")

    f["received_date"] = _as_date(claim.created)

    diagnosis_positions = _map_diagnoses(claim, out)
    _map_items(claim, diagnosis_positions, out)

    period = claim.billablePeriod
    line_dates = [line["service_date"] for line in f.get("lines", []) if line.get("service_date")]
    start = _as_date(period.start) if period is not None and period.start is not None else None
    end = _as_date(period.end) if period is not None and period.end is not None else None
    f["service_date_from"] = start or (min(line_dates) if line_dates else None)
    f["service_date_to"] = end or (max(line_dates) if line_dates else f["service_date_from"])
    if f["service_date_from"] is None:
        out.problem(reasons.SCHEMA_VIOLATION, "billablePeriod")

    if claim.total is not None and claim.total.value is not None:
        f["total_charge"] = {"amount": claim.total.value, "currency": claim.total.currency or "USD"}
    else:
        amounts = [line["charge"]["amount"] for line in f.get("lines", []) if "charge" in line]
        currency = next((line["charge"]["currency"] for line in f.get("lines", []) if "charge" in line), "USD")
        f["total_charge"] = {"amount": sum(amounts, Decimal("0")), "currency": currency}


def _claim_id(claim: Any) -> str | None:
    value = _identifier_value(claim.identifier or [], CLAIM_ID_SYSTEM)
    return value or claim.id


def _claim_type(claim: Any) -> str:
    codes = {c.code for c in (claim.type.coding or []) if c.code} if claim.type is not None else set()
    return "institutional" if "institutional" in codes else "professional"


def _resolve(reference: Any, contained: dict[str, Any], resource_type: str | None) -> Any | None:
    """A local reference `#id` to a contained resource (of the given type when one is given)."""
    ref = getattr(reference, "reference", None) if reference is not None else None
    if not ref or not ref.startswith("#"):
        return None
    resource = contained.get(ref[1:])
    if resource is None:
        return None
    if resource_type is not None and resource.get_resource_type() != resource_type:
        return None
    return resource


def _identifiers_of(reference: Any, resolved: Any | None) -> list[Any]:
    """Identifiers of the resolved contained resource, then the reference's logical identifier."""
    found: list[Any] = []
    if resolved is not None:
        found.extend(getattr(resolved, "identifier", None) or [])
    logical = getattr(reference, "identifier", None) if reference is not None else None
    if logical is not None:
        found.append(logical)
    return found


def _identifier_value(identifiers: Sequence[Any], system: str, *, fallback_any: bool = True) -> str | None:
    for identifier in identifiers:
        if identifier.system == system and identifier.value:
            return str(identifier.value)
    if fallback_any:
        for identifier in identifiers:
            if identifier.system is None and identifier.value:
                return str(identifier.value)
    return None


def _patient(patient: Any) -> dict[str, Any] | None:
    name = _display_name(patient.name or [])
    if name is None or patient.birthDate is None:
        return None
    out: dict[str, Any] = {"name": name, "birth_date": patient.birthDate}
    if patient.gender in ("male", "female", "other", "unknown"):
        out["gender"] = patient.gender
    if patient.address:
        address = patient.address[0]
        out["address"] = {
            "line": list(address.line or []),
            "city": address.city,
            "state": address.state,
            "postal_code": address.postalCode,
        }
    return out


def _display_name(names: Sequence[Any]) -> str | None:
    for name in names:
        if name.text:
            return str(name.text)
        parts = [*(name.given or []), *([name.family] if name.family else [])]
        if parts:
            return " ".join(str(p) for p in parts)
    return None


def _map_insurance(claim: Any, contained: dict[str, Any], out: FhirMapping) -> None:
    entries = sorted(claim.insurance or [], key=lambda i: (not i.focal, i.sequence or 0))
    if not entries:
        out.problem(reasons.SCHEMA_VIOLATION, "insurance")
        out.fields["policy_id"] = None
        out.fields["subscriber_id"] = None
        return
    entry = entries[0]
    coverage = _resolve(entry.coverage, contained, "Coverage")
    policy_id = _identifier_value(_identifiers_of(entry.coverage, coverage), POLICY_ID_SYSTEM)
    subscriber_id: str | None = None
    if coverage is not None:
        subscriber_id = coverage.subscriberId or None
        if subscriber_id is None and coverage.subscriber is not None:
            subscriber_id = _identifier_value(
                _identifiers_of(coverage.subscriber, None), SUBSCRIBER_ID_SYSTEM, fallback_any=False
            )
    if subscriber_id is None:
        subscriber_id = _extension_value([*(entry.extension or []), *(claim.extension or [])])
    out.fields["policy_id"] = policy_id
    out.fields["subscriber_id"] = subscriber_id
    if policy_id is None:
        out.problem(reasons.SCHEMA_VIOLATION, "insurance.coverage.identifier")
    if subscriber_id is None:
        out.problem(reasons.SCHEMA_VIOLATION, "insurance.coverage.subscriberId")


def _extension_value(extensions: Sequence[Any]) -> str | None:
    for extension in extensions:
        if extension.url != SUBSCRIBER_EXTENSION_URL:
            continue
        if extension.valueString:
            return str(extension.valueString)
        if extension.valueIdentifier is not None and extension.valueIdentifier.value:
            return str(extension.valueIdentifier.value)
    return None


def _map_diagnoses(claim: Any, out: FhirMapping) -> dict[int, int]:
    """Diagnosis codes in sequence order; returns FHIR sequence -> 1-based position."""
    codes: list[str | None] = []
    positions: dict[int, int] = {}
    for index, diagnosis in enumerate(sorted(claim.diagnosis or [], key=lambda d: d.sequence or 0)):
        location = f"diagnosis.{index}"
        concept = diagnosis.diagnosisCodeableConcept
        code = None
        if concept is not None:
            code = next((c.code for c in concept.coding or [] if c.system == ICD10CM_SYSTEM and c.code), None)
        if code is None:
            out.problem(reasons.INVALID_DIAGNOSIS_CODE, location)
        codes.append(code)
        if diagnosis.sequence is not None:
            positions[diagnosis.sequence] = len(codes)
    out.fields["diagnosis_codes"] = codes
    if not codes:
        out.problem(reasons.SCHEMA_VIOLATION, "diagnosis")
    return positions


def _map_items(claim: Any, diagnosis_positions: dict[int, int], out: FhirMapping) -> None:
    lines: list[dict[str, Any]] = []
    period_start = claim.billablePeriod.start if claim.billablePeriod is not None else None
    for index, item in enumerate(sorted(claim.item or [], key=lambda i: i.sequence or 0)):
        location = f"item.{index}"
        line: dict[str, Any] = {"line_number": item.sequence}
        product = item.productOrService
        code = next(
            (c.code for c in (product.coding or []) if c.system in PROCEDURE_SYSTEMS and c.code),
            None,
        )
        if code is None:
            out.problem(reasons.INVALID_PROCEDURE_CODE, f"{location}.productOrService")
        line["procedure_code"] = code
        line["modifiers"] = [
            coding.code for modifier in item.modifier or [] for coding in (modifier.coding or [])[:1] if coding.code
        ]
        quantity = item.quantity.value if item.quantity is not None and item.quantity.value is not None else 1
        if Decimal(quantity) != Decimal(quantity).to_integral_value():
            out.problem(reasons.SCHEMA_VIOLATION, f"{location}.quantity")
        line["units"] = int(quantity)
        line["charge"] = _line_charge(item, Decimal(quantity), out, location)
        served = item.servicedDate or (item.servicedPeriod.start if item.servicedPeriod is not None else None)
        line["service_date"] = _as_date(served or period_start)
        if line["service_date"] is None:
            out.problem(reasons.SCHEMA_VIOLATION, f"{location}.servicedDate")
        pointers: list[int] = []
        for sequence in item.diagnosisSequence or []:
            if sequence in diagnosis_positions:
                pointers.append(diagnosis_positions[sequence])
            else:
                out.problem(reasons.SCHEMA_VIOLATION, f"{location}.diagnosisSequence")
        line["diagnosis_pointers"] = pointers or [1]
        lines.append(line)
    out.fields["lines"] = lines
    if not lines:
        out.problem(reasons.SCHEMA_VIOLATION, "item")


def _line_charge(item: Any, quantity: Decimal, out: FhirMapping, location: str) -> dict[str, Any]:
    if item.net is not None and item.net.value is not None:
        return {"amount": item.net.value, "currency": item.net.currency or "USD"}
    if item.unitPrice is not None and item.unitPrice.value is not None:
        factor = item.factor if item.factor is not None else Decimal("1")
        amount = Decimal(item.unitPrice.value) * quantity * Decimal(factor)
        return {"amount": amount, "currency": item.unitPrice.currency or "USD"}
    out.problem(reasons.INVALID_AMOUNT, f"{location}.net")
    return {"amount": Decimal("0"), "currency": "USD"}


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo is not None else value.date()
    if isinstance(value, date):
        return value
    return None
