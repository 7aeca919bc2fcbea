"""A dossier's clock, pure: its statutory due instant, the appointment given to the citizen,
pauses (supplement, payment) and the lateness that no later step undoes.

The one rule, shared by intake (the receipt slip, the public lookup, the apology check) and
deadline (timers, classification), so the two always agree on the current appointment.

- Receipt: due = the limit counted from the receipt; the appointment is that due instant.
- A supplement or payment request pauses the clock. The complete supplement restarts the limit
  from its arrival (policy `restart`) or resumes with the working time that was left
  (`resume`, as a payment does). The appointment moves to the new due instant if that is later.
- An apology gives a new, later appointment; the statutory due instant does not move, so the
  dossier is still judged against it.
- **Lateness cannot be undone**: a request that pauses a dossier already past its due instant
  keeps that due instant as the one it is judged by (`late_due_at`). The request is accepted
  (the agency still needs the papers, and refusing it would block the citizen's dossier) but
  the dossier stays late: DOMAIN.md, "once a dossier is past its due instant, no later step
  makes it early or on time". We found no legal text that lets a supplement requested after
  the time limit restart it (the request-to-supplement form of the circular guiding Decree
  61/2018/NĐ-CP is issued while the dossier is being processed), so DOMAIN.md's rule applies.
"""

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.domain.business_calendar import BusinessCalendar
from shared.events.dossier import ProcessingStep, TimeLimit
from shared.events.vocabulary import Classification


class DossierClock(BaseModel):
    model_config = ConfigDict(frozen=True)

    time_limit: TimeLimit
    due_at: AwareDatetime
    appointment_at: AwareDatetime
    paused_since: AwareDatetime | None = None
    remaining: timedelta | None = None  # working time left when paused (for `resume`)
    late_due_at: AwareDatetime | None = None  # the due instant it passed while running

    @classmethod
    def start(
        cls, received_at: datetime, limit: TimeLimit, calendar: BusinessCalendar
    ) -> "DossierClock":
        due_at = calendar.due_at(received_at, limit.amount, limit.unit)
        return cls(time_limit=limit, due_at=due_at, appointment_at=due_at)

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def judged_due_at(self) -> datetime:
        """The due instant a resolution is judged by: the one it passed, if it passed one."""
        return self.late_due_at or self.due_at

    def late_at(self, moment: datetime) -> bool:
        """Past a due instant at `moment`: already late for good, or running past its due."""
        if self.late_due_at is not None:
            return True
        return not self.paused and moment > self.due_at

    def pause(self, at: datetime, calendar: BusinessCalendar) -> "DossierClock":
        if self.paused:
            return self
        left = max(calendar.working_time_between(at, self.due_at), timedelta())
        late = self.late_due_at or (self.due_at if at > self.due_at else None)
        return self.model_copy(update={"paused_since": at, "remaining": left, "late_due_at": late})

    def resume(self, at: datetime, calendar: BusinessCalendar, *, restart: bool) -> "DossierClock":
        if not self.paused:
            return self
        if restart:
            due_at = calendar.due_at(at, self.time_limit.amount, self.time_limit.unit)
        else:
            due_at = calendar.add_working_time(at, self.remaining or timedelta())
        return self.model_copy(
            update={
                "due_at": due_at,
                "appointment_at": max(self.appointment_at, due_at),
                "paused_since": None,
                "remaining": None,
            }
        )

    def delay(self, new_appointment_at: datetime) -> "DossierClock":
        return self.model_copy(update={"appointment_at": new_appointment_at})

    def classify(self, resolved_at: datetime, calendar: BusinessCalendar) -> Classification:
        """By date against the due instant it is judged by. A dossier resolved while paused is
        judged against the due date it had when paused; one that passed its due instant is
        judged against that one, whatever came after."""
        return calendar.classify(resolved_at, self.judged_due_at)


def step_clock(
    steps: tuple[ProcessingStep, ...], index: int, start: datetime, calendar: BusinessCalendar
) -> DossierClock | None:
    """An interconnected step's own clock: its time limit counted from its start (the receipt
    or the transfer to it), paused and resumed with the dossier's (a supplement restarts it when
    the procedure's policy restarts the dossier's). None past the last step."""
    if index >= len(steps):
        return None
    return DossierClock.start(start, steps[index].time_limit, calendar)
