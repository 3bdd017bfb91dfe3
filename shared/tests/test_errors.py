"""Error class names are the ASL's Retry/Catch vocabulary: keep them stable and typed."""

from icpa_shared import errors


def test_retryable_and_permanent_are_disjoint_and_typed() -> None:
    for name in errors.RETRYABLE_ERROR_NAMES:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.RetryableError) and cls.retryable
    for name in errors.PERMANENT_ERROR_NAMES:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.PermanentError) and not cls.retryable
    assert not set(errors.RETRYABLE_ERROR_NAMES) & set(errors.PERMANENT_ERROR_NAMES)


def test_reasons_travel_in_the_cause() -> None:
    exc = errors.InvalidClaimError("claim rejected", reasons=["CODE_FORMAT", "DATE_ORDER"])
    assert exc.reasons == ("CODE_FORMAT", "DATE_ORDER")
    assert str(exc) == "claim rejected [CODE_FORMAT, DATE_ORDER]"
    assert errors.ModelThrottledError("slow down").reasons == ("MODEL_THROTTLED",)
