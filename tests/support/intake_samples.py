"""Intake's catalogue, calendar and a dossier received from the sample receipt, for tests of
the pure lifecycle and of the stores."""

from datetime import datetime
from pathlib import Path

from services.intake.domain.lifecycle import DossierRecord, receive
from shared.domain.business_calendar import VIETNAM, BusinessCalendar
from shared.domain.catalogue import Catalogue
from shared.events import intake_requests
from tests.support.intake_fixtures import receipt

CATALOGUE = Catalogue.from_toml(
    (Path(__file__).resolve().parents[2] / "config/catalogue.toml").read_text()
)
CALENDAR = BusinessCalendar()
NOW = datetime(2026, 3, 2, 8, tzinfo=VIETNAM)


def new_dossier(**fields: object) -> DossierRecord:
    request = intake_requests.ReceiveDossier.model_validate(receipt(**fields))
    record, _ = receive(
        request, CATALOGUE, CALENDAR, NOW, may_backdate=False, rating_token_sha256="0" * 64
    )
    return record.model_copy(update={"code": "UBND.P.SG-260302-0001"})
