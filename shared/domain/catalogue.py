"""The catalogue: agencies, fields and versioned procedures.

Pure: parsing and lookups only. The deployment's catalogue lives on `catalogue.events.v1`
(shared/domain/reference_log.py); `config/catalogue.toml` is the seed loaded into an empty one.
"""

import tomllib
from collections.abc import Sequence
from datetime import date
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import NotFoundError, RejectedError
from shared.events.dossier import ProcessingStep, TimeLimit
from shared.events.vocabulary import Level, SupplementPolicy


class CatalogueError(RejectedError, ValueError):
    """The catalogue file cannot be used as it is; the message says where."""


class UnknownInCatalogueError(NotFoundError, LookupError):
    """A request names an agency or procedure the catalogue does not have (or not then)."""


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9.]{2,20}$")
    name: str
    level: Level
    unit: str = Field(description="The administrative unit it belongs to (config/units.toml)")
    valid_from: date | None = Field(None, description="First day it receives; none: always did")
    valid_to: date | None = Field(
        None, description="First day it no longer receives (exclusive); none: still receives"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Agency":
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError(f"agency {self.code}: valid_to must be after valid_from")
        return self

    def in_being_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )

    def covers(self, start: date, end: date | None) -> bool:
        """In being on every day from `start` until `end` (exclusive; none: open-ended)."""
        starts_in_time = self.valid_from is None or self.valid_from <= start
        if self.valid_to is None:
            return starts_in_time
        return starts_in_time and end is not None and end <= self.valid_to

    def not_in_being(self, day: date) -> str:
        if self.valid_to is not None and day >= self.valid_to:
            return f"agency {self.code} no longer receives dossiers: it ceased on {self.valid_to}"
        return f"agency {self.code} receives dossiers from {self.valid_from}, not on {day}"


class ProcedureField(BaseModel):
    """A field of administration (lĩnh vực), which groups procedures in the reports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z_]{2,40}$")
    name: str


class StepSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str
    time_limit: TimeLimit


class Procedure(BaseModel):
    """One version of a procedure, in force from `effective_from` until `effective_to`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z0-9.\-_]{1,40}$")
    name: str
    field: str
    level: Level
    time_limit: TimeLimit
    online_time_limit: TimeLimit | None = None
    postal_allowed: bool = True
    supplement_policy: SupplementPolicy = SupplementPolicy.RESTART
    agencies: tuple[str, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    effective_from: date
    effective_to: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Procedure":
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(f"{self.code}: effective_to must be after effective_from")
        return self

    @property
    def version(self) -> str:
        return self.effective_from.isoformat()

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def processing_steps(self) -> tuple[ProcessingStep, ...]:
        return tuple(
            ProcessingStep(agency_code=s.agency, time_limit=s.time_limit) for s in self.steps
        )


class Catalogue:
    def __init__(
        self,
        agencies: Sequence[Agency],
        procedures: Sequence[Procedure],
        fields: Sequence[ProcedureField] = (),
    ) -> None:
        self.agencies = {agency.code: agency for agency in agencies}
        self.procedures = tuple(procedures)
        self.fields = {item.code: item for item in fields}
        self._check()

    @classmethod
    def from_toml(cls, text: str) -> "Catalogue":
        try:
            data = tomllib.loads(text)
            agencies = [Agency.model_validate(item) for item in data.get("agency", [])]
            procedures = [Procedure.model_validate(item) for item in data.get("procedure", [])]
            fields = [ProcedureField.model_validate(item) for item in data.get("field", [])]
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            raise CatalogueError(f"catalogue is invalid: {error}") from error
        return cls(agencies, procedures, fields)

    def _check(self) -> None:
        for procedure in self.procedures:
            named = set(procedure.agencies) | {step.agency for step in procedure.steps}
            unknown = named - set(self.agencies)
            if unknown:
                raise CatalogueError(f"procedure {procedure.code} names unknown {sorted(unknown)}")
            for code in sorted(named):
                agency = self.agencies[code]
                if not agency.covers(procedure.effective_from, procedure.effective_to):
                    raise CatalogueError(
                        f"procedure {procedure.code} version {procedure.version} names agency "
                        f"{code}, which does not receive for all of it "
                        f"(from {agency.valid_from or 'always'} until {agency.valid_to or 'now'}); "
                        "end that version, or add one naming the agency's successor"
                    )
        by_code: dict[str, list[Procedure]] = {}
        for procedure in self.procedures:
            by_code.setdefault(procedure.code, []).append(procedure)
        for code, versions in by_code.items():
            ordered = sorted(versions, key=lambda p: p.effective_from)
            for earlier, later in pairwise(ordered):
                if earlier.effective_to is None or earlier.effective_to > later.effective_from:
                    raise CatalogueError(f"procedure {code}: versions overlap")

    def agency(self, code: str) -> Agency:
        try:
            return self.agencies[code]
        except KeyError:
            raise UnknownInCatalogueError(f"unknown agency {code!r}") from None

    def versions(self, code: str) -> list[Procedure]:
        """Every version of `code`, oldest first (none: an unknown code)."""
        return sorted(
            (p for p in self.procedures if p.code == code), key=lambda p: p.effective_from
        )

    def procedure(self, code: str, on: date) -> Procedure:
        """The version of `code` in force on `on`."""
        versions = [p for p in self.procedures if p.code == code]
        if not versions:
            raise UnknownInCatalogueError(f"unknown procedure {code!r}")
        for version in versions:
            if version.in_force_on(on):
                return version
        raise UnknownInCatalogueError(f"procedure {code!r} is not in force on {on.isoformat()}")

    def receivable_by(self, procedure: Procedure, agency: Agency) -> bool:
        if procedure.agencies:
            return agency.code in procedure.agencies
        return agency.level is procedure.level

    def current(self, on: date) -> list[Procedure]:
        return [p for p in self.procedures if p.in_force_on(on)]
