"""The archive document: its key layout, its gzip JSON encoding, and what it refuses."""

from __future__ import annotations

import gzip
import json

import pytest
from audit_testkit import World, auto_approved
from pydantic import ValidationError

from icpa_audit.domain.models import ArchivedExecution, ArchiveDocument, archive_key, decode_archive, encode_archive

pytestmark = pytest.mark.unit


def a_document() -> ArchiveDocument:
    world = World()
    receipt = world.archive_run(auto_approved(world.audit))
    return world.archive.document(receipt.key)


def test_keys_are_per_claim_and_execution() -> None:
    assert archive_key("CLM-1", "upload-1") == "claims/CLM-1/upload-1.json.gz"
    assert archive_key(None, "upload-1") == "unattributed/upload-1.json.gz"


def test_the_encoding_is_deterministic_gzip_json_that_round_trips() -> None:
    document = a_document()

    data = encode_archive(document)

    assert data[:2] == b"\x1f\x8b" and data == encode_archive(document)
    assert json.loads(gzip.decompress(data)) == document.model_dump(mode="json")
    assert decode_archive(data) == document
    assert decode_archive(gzip.decompress(data)) == document  # already decompressed by a proxy


def test_archives_are_compressed_at_zlibs_default_level() -> None:
    # Level 9 cost twice the CPU of 6 for a 1% smaller object; the level is part of the bytes.
    document = a_document()
    data = encode_archive(document)
    assert data == gzip.compress(gzip.decompress(data), compresslevel=6, mtime=0)
    assert data[8] == 0  # the gzip header's XFL: 0 for levels 2-8 (2 would say level 9)


@pytest.mark.parametrize("data", [b"\x1f\x8b\x08 truncated", b"{not json", b'{"schema_version": "1.0"}'])
def test_what_is_not_an_archive_document_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_archive(data)


@pytest.mark.parametrize("name", ["a/b", "..", ".", "has space", "x" * 81, ""])
def test_an_execution_name_that_cannot_be_a_key_segment_is_refused(name: str) -> None:
    execution = a_document().execution.model_dump()
    with pytest.raises(ValidationError):
        ArchivedExecution.model_validate({**execution, "name": name})


def test_unknown_fields_are_refused() -> None:
    raw = a_document().model_dump(mode="json")
    with pytest.raises(ValidationError):
        ArchiveDocument.model_validate({**raw, "extra": 1})
