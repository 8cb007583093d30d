"""Working days: the PRC holiday calendar (library + operator-loaded years) and rights-request deadlines.

See `jidi.workdays.calendar` for how days are counted, and README "Working days and rights-request deadlines".
"""
from jidi.i18n import N_
from jidi.kit.feature import Feature
from jidi.workdays.calendar import (
    CALENDAR_DAYS_FROM_VERIFICATION,
    OFFICIAL,
    OPERATOR,
    PROVISIONAL,
    RULES,
    SHANGHAI,
    WORKING_DAYS_FROM_RECEIPT,
    Deadline,
    LibraryCalendar,
    WorkdayCalendar,
    YearSchedule,
    describe,
    due_date,
    local_date,
)

__all__ = [
    "CALENDAR_DAYS_FROM_VERIFICATION", "OFFICIAL", "OPERATOR", "PROVISIONAL", "RULES", "SHANGHAI",
    "WORKING_DAYS_FROM_RECEIPT", "Deadline", "LibraryCalendar", "WorkdayCalendar", "YearSchedule", "describe",
    "due_date", "local_date",
]

feature = Feature(
    "workdays",
    models=("jidi.workdays.models",),
    services={"workdays": "jidi.workdays.calendar:for_container"},
    cli=("jidi.workdays.cli:holidays",),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "calendar_days.name": N_("Holiday name"),
    },
)
