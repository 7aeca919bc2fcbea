"""An ended dossier's applicant data is erased, with a tombstone on Kafka, once its time has
come; an open dossier's never is (in-memory store, no Redis, no Kafka)."""

from datetime import timedelta

from services.intake.service.personal_data import ApplicantLifetime
from services.intake.store import InMemoryIntakeStore
from shared.domain.clock import ManualClock
from shared.events import intake_requests
from shared.events.topics import INTAKE_APPLICANTS
from shared.messaging.publishing import InMemoryPublisher
from tests.support.intake_desk import DESK, NOW, RecordingPublisher, desk, filing

KEPT = timedelta(days=30)


async def test_the_applicant_is_erased_the_kept_time_after_the_result_is_returned() -> None:
    store = InMemoryIntakeStore(applicant_kept_for=KEPT)
    counter = desk(store, RecordingPublisher())
    returned = (await counter.receive(filing("a"), DESK)).view.code
    still_open = (await counter.receive(filing("b"), DESK)).view.code
    for n, step in enumerate(("ResolveDossier", "ReturnResult")):
        fields = {"outcome": "approved"} if step == "ResolveDossier" else {}
        request = (
            intake_requests.ReturnResult
            if step == "ReturnResult"
            else intake_requests.ResolveDossier
        )
        await counter.act(request.model_validate({"type": step, "submission_id": f"s{n}",
                                                  "dossier_code": returned, **fields}),
                          DESK, retry_conflicts=False)  # fmt: skip
    clock, kafka = ManualClock(NOW + KEPT - timedelta(seconds=1)), InMemoryPublisher()
    lifetime = ApplicantLifetime(store, kafka, clock)
    assert await lifetime.erase_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await lifetime.erase_due() == 1
    assert kafka.on(INTAKE_APPLICANTS) == [
        (INTAKE_APPLICANTS, returned.encode(), None, {"content-type": "application/json"})
    ]
    assert await store.applicant(returned) is None
    assert await store.applicant(still_open) is not None
    clock.advance(timedelta(days=365))
    assert await lifetime.erase_due() == 0
    assert (await counter.lookup(returned)).status == "returned"
