"""Online filing, online payment and digitisation, per agency: the facts the service index's
online and digitisation groups rest on, and the dossiers behind each count. Pure.

Each fact is optional on its event (`fully_online` and `papers_digitised` on the receipt, the
payment `method`, `electronic_result` on the resolution): a dossier whose event did not record
it is in neither term of that ratio, so a rate is never made of guesses.

- `received`: dossiers received in the period;
- `online_recorded` / `fully_online`: of them, those whose receipt says whether they were filed
  fully online, and those that were;
- `digitised_recorded` / `papers_digitised`: the same for the papers digitised at receipt;
- `paid_recorded` / `paid_online`: dossiers with a fee paid in the period with its method
  recorded, and those with a payment made online;
- `resolved_recorded` / `electronic_results`: dossiers resolved in the period whose resolution
  says whether the result was electronic, and those whose result was."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.reporting.domain.dossier_facts import DossierFacts, Ending
from services.reporting.domain.periods import Period
from shared.events.vocabulary import PaymentMethod

DIGITAL_COLUMNS = (
    "received", "online_recorded", "fully_online", "digitised_recorded", "papers_digitised",
    "paid_recorded", "paid_online", "resolved_recorded", "electronic_results",
)  # fmt: skip


def _received(facts: DossierFacts, period: Period) -> bool:
    return period.start <= facts.received_at < period.end


def _payments(facts: DossierFacts, period: Period) -> list[str]:
    return [method for at, method in facts.payments if period.start <= at < period.end]


def _resolved(facts: DossierFacts, period: Period) -> bool:
    ending = facts.ending
    return (
        ending is not None
        and ending[1] is Ending.RESOLVED
        and (period.start <= ending[0] < period.end)
    )


COUNTED: dict[str, Callable[[DossierFacts, Period], bool]] = {
    "received": _received,
    "online_recorded": lambda f, p: _received(f, p) and f.fully_online is not None,
    "fully_online": lambda f, p: _received(f, p) and f.fully_online is True,
    "digitised_recorded": lambda f, p: _received(f, p) and f.papers_digitised is not None,
    "papers_digitised": lambda f, p: _received(f, p) and f.papers_digitised is True,
    "paid_recorded": lambda f, p: bool(_payments(f, p)),
    "paid_online": lambda f, p: PaymentMethod.ONLINE.value in _payments(f, p),
    "resolved_recorded": lambda f, p: _resolved(f, p) and f.electronic_result is not None,
    "electronic_results": lambda f, p: _resolved(f, p) and f.electronic_result is True,
}
RATES = {  # rate: (numerator, denominator)
    "fully_online_rate": ("fully_online", "online_recorded"),
    "digitised_rate": ("papers_digitised", "digitised_recorded"),
    "paid_online_rate": ("paid_online", "paid_recorded"),
    "electronic_result_rate": ("electronic_results", "resolved_recorded"),
}


@dataclass
class DigitalRow:
    group: str  # an agency, or total
    group_name: str | None = None
    received: int = 0
    online_recorded: int = 0
    fully_online: int = 0
    digitised_recorded: int = 0
    papers_digitised: int = 0
    paid_recorded: int = 0
    paid_online: int = 0
    resolved_recorded: int = 0
    electronic_results: int = 0
    fully_online_rate: float | None = None
    digitised_rate: float | None = None
    paid_online_rate: float | None = None
    electronic_result_rate: float | None = None

    def count(self, facts: DossierFacts, period: Period) -> None:
        for column, counted in COUNTED.items():
            if counted(facts, period):
                setattr(self, column, getattr(self, column) + 1)

    def finish(self) -> "DigitalRow":
        for rate, (part, whole) in RATES.items():
            if getattr(self, whole):
                setattr(self, rate, round(getattr(self, part) / getattr(self, whole), 4))
        return self


def digital_report(
    dossiers: Iterable[DossierFacts], period: Period
) -> tuple[list[DigitalRow], DigitalRow]:
    rows: dict[str, DigitalRow] = {}
    total = DigitalRow("total")
    for facts in dossiers:
        row = rows.setdefault(facts.agency, DigitalRow(facts.agency))
        row.count(facts, period)
        total.count(facts, period)
    kept = [rows[agency].finish() for agency in sorted(rows)]
    return [row for row in kept if any(getattr(row, c) for c in DIGITAL_COLUMNS)], total.finish()


def digital_in(
    dossiers: Iterable[DossierFacts], period: Period, group: str, column: str
) -> list[DossierFacts]:
    counted = COUNTED[column]
    found = [f for f in dossiers if group in ("total", f.agency) and counted(f, period)]
    return sorted(found, key=lambda facts: (facts.received_at, facts.code))
