"""Data stays in mainland China (JD-8.1, CN-6.1a): the deployment declares where it stores personal data, each
recipient where it receives it, and jidi refuses to start when either is outside mainland China without a declared
cross-border transfer (JD-8.2: a transfer passes a review first).

A transfer is declared by the operator in settings (`JIDI_CROSS_BORDER_TRANSFERS`, JSON), each with the reference and
date of its review record (the personal-information protection impact assessment, and the security assessment or
standard-contract filing it led to) and what it covers: "storage" (the deployment's own databases) or a recipient's
key. Declaring it is not enough to send anyone's data: every transfer also rests on each person's separate consent
(PIPL art. 39), the consent kind `cross_border`, checked when the data is handed over.

HK, MO and TW are outside mainland China for this purpose (PIPL applies to them as to other places abroad).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

MAINLAND = "CN"
STORAGE = "storage"  # a transfer that covers the deployment's own storage abroad, rather than a recipient


class ResidencyError(RuntimeError):
    """Personal data would leave mainland China without a declared, reviewed transfer: jidi does not start."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("personal data would leave mainland China without a declared transfer: " + "; ".join(problems))


@dataclasses.dataclass(frozen=True)
class Transfer:
    covers: str          # STORAGE, or the key of a declared recipient
    country: str         # ISO 3166-1 alpha-2 of the destination
    review: str          # the reference of the review record (e.g. the impact assessment's number)
    reviewed_on: dt.date

    @classmethod
    def parse(cls, raw: Mapping[str, object]) -> Transfer:
        """One transfer from settings: {"covers", "country", "review", "reviewed_on": "YYYY-MM-DD"}."""
        try:
            covers, country, review = (str(raw[k]).strip() for k in ("covers", "country", "review"))
            reviewed_on = dt.date.fromisoformat(str(raw["reviewed_on"]))
        except (KeyError, ValueError) as err:
            raise ValueError(f"a cross-border transfer needs covers, country, review and reviewed_on (YYYY-MM-DD): {err}") from err
        if not covers or not review or len(country) != 2 or not country.isalpha():
            raise ValueError("a cross-border transfer needs what it covers, a two-letter country and its review record")
        return cls(covers, country.upper(), review, reviewed_on)


def check(storage_country: str, recipients: Iterable[tuple[str, str]], transfers: Iterable[Transfer],
          today: dt.date) -> list[str]:
    """What would leave mainland China undeclared: `recipients` as (key, country). Empty when all is in order.

    A transfer must match what it covers and the country exactly, and its review must be dated no later than today
    (a review not yet done is no review)."""
    declared = {(t.covers, t.country): t for t in transfers}
    problems: list[str] = []

    def covered(what: str, country: str) -> None:
        if country.upper() == MAINLAND:
            return
        transfer = declared.get((what, country.upper()))
        if transfer is None:
            problems.append(f"{what} in {country.upper()} has no declared cross-border transfer")
        elif transfer.reviewed_on > today:
            problems.append(f"the review {transfer.review} of {what} in {country.upper()} is dated in the future")

    covered(STORAGE, storage_country)
    for key, country in recipients:
        covered(key, country)
    known = {STORAGE} | {key for key, _ in recipients}
    problems += [f"a cross-border transfer covers {t.covers!r}, which is neither storage nor a declared recipient"
                 for t in declared.values() if t.covers not in known]
    return problems


def declared(transfers: Iterable[Transfer], covers: str, country: str, today: dt.date) -> bool:
    """Whether a reviewed transfer (review dated no later than today) covers `covers` in `country`."""
    return any(t.covers == covers and t.country == country.upper() and t.reviewed_on <= today for t in transfers)


def abroad(recipient_country: str) -> bool:
    """Whether handing data to a recipient there is a cross-border transfer (and needs the `cross_border` consent)."""
    return recipient_country.upper() != MAINLAND
