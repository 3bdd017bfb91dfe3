"""Fee schedules bundled with the service (data/fee_schedule_<id>.json), read once."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from icpa_adjudication.domain.errors import UnknownFeeScheduleError
from icpa_adjudication.domain.fee_schedule import FeeSchedule

_ID = re.compile(r"^[A-Z0-9-]{2,40}$")


class BundledFeeSchedules:
    def get(self, fee_schedule_id: str) -> FeeSchedule:
        if not _ID.match(fee_schedule_id):  # the id becomes part of a file name
            raise UnknownFeeScheduleError(f"not a fee schedule id: {fee_schedule_id!r}")
        return _load(fee_schedule_id)


@cache
def _load(fee_schedule_id: str) -> FeeSchedule:
    resource = resources.files("icpa_adjudication") / "data" / f"fee_schedule_{fee_schedule_id}.json"
    if not resource.is_file():
        raise UnknownFeeScheduleError(f"no bundled fee schedule {fee_schedule_id}")
    schedule = FeeSchedule.model_validate_json(resource.read_bytes())
    if schedule.fee_schedule_id != fee_schedule_id:
        raise UnknownFeeScheduleError(f"fee schedule file for {fee_schedule_id} holds {schedule.fee_schedule_id}")
    return schedule
