"""An applicant's later choice of notifications (Law 91/2025/QH15: they choose, and may change
their mind): the channels and the e-mail address in the applicant's data, replaced in intake's
store and on `intake.applicants.v1` together, where the exchange service reads it. The rating
token stays only while some channel is chosen; a token not kept at filing is not made again."""

import json
import logging

from pydantic import ValidationError

from services.intake.service.changelog import applicant_entry
from services.intake.service.desk import DossierNotFoundError
from services.intake.store import IntakeStore
from shared.errors import ConflictingError, RejectedError
from shared.events.intake_requests import ChangeNotifications
from shared.events.personal_data import APPLICANT, parse_applicant
from shared.persistence.outbox import ConflictError, OutboxPublisher
from shared.web.api_keys import Client

log = logging.getLogger(__name__)


class ApplicantErasedError(ConflictingError):
    """The applicant's data is gone (erased): there is no one to tell (HTTP 409)."""


class ConsentRejectedError(RejectedError):
    """The new choice breaks a rule, e.g. e-mail without an address (HTTP 422)."""


class ConsentDesk:
    def __init__(self, store: IntakeStore, outbox: OutboxPublisher) -> None:
        self.store = store
        self.outbox = outbox

    async def change(self, request: ChangeNotifications, client: Client) -> str:
        code = request.dossier_code
        while True:
            stored = await self.store.load(code)
            if stored is None:
                raise DossierNotFoundError(f"no dossier {code}")
            record = stored.record
            client.require_agency(record.agency_code, record.receiving_agency_code)
            read = await self.store.applicant(code)
            if read is None:
                raise ApplicantErasedError(f"the applicant data of {code} was erased")
            changed = _changed(read, request)
            answer = json.dumps({"dossier_code": code, "notify": list(request.notify)})
            try:
                committed = await self.store.commit_applicant(
                    client_id=client.id, submission_id=request.submission_id, code=code,
                    read=read, applicant_json=changed, answer=answer,
                    entries=[applicant_entry(code, changed)],
                )  # fmt: skip
            except ConflictError:
                continue  # changed meanwhile: decide again on the fresh data
            await self.outbox.publish(committed)
            log.info("notification choice changed", extra={"dossier_code": code,
                     "channels": len(request.notify), "client": client.id})  # fmt: skip
            return committed.answer


def _changed(read: str, request: ChangeNotifications) -> str:
    current = parse_applicant(read)
    email = request.email or current.email
    token = current.rating_token if request.notify else None
    updated = current.model_dump() | {"notify": request.notify, "email": email,
                                      "rating_token": token}  # fmt: skip
    try:
        return APPLICANT.dump_json(APPLICANT.validate_python(updated)).decode()
    except ValidationError as error:  # the message names the rule, never the value
        rules = "; ".join(str(e["msg"]) for e in error.errors())
        raise ConsentRejectedError(f"the new choice is not valid: {rules}") from None
