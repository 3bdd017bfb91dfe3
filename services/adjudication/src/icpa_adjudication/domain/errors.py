"""Errors only adjudication raises. The shared ones (icpa_shared.errors) cover the rest."""

from __future__ import annotations

from icpa_shared.errors import PermanentError


class UnknownFeeScheduleError(PermanentError):
    """A policy names a fee schedule this service does not bundle: a configuration defect, not
    the claim's fault. The ASL has no Catch for this name, so States.ALL quarantines the claim
    with outcome ERROR (not REJECTED), which is what an operator should look at."""

    default_reason = "UNKNOWN_FEE_SCHEDULE"
