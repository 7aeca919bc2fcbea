"""Personal data types: validated on the way in, never logged (their repr is masked).

An applicant is a person (a Vietnamese citizen with a 12-digit citizen ID, or a foreigner with
a passport and nationality) or an organisation (a tax code, its name and representative).
Requests written before organisations existed carry no `kind`: they are persons.
Validation messages name the rule, never the value (a 422 must not echo an ID number).
"""

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    model_validator,
)

from shared.events.vocabulary import NotificationChannel

CitizenIdNumber = Annotated[
    str, StringConstraints(pattern=r"^\d{12}$"), Field(description="12-digit citizen ID (CCCD)")
]
VietnamesePhone = Annotated[
    str,
    StringConstraints(pattern=r"^(0|\+84)(3|5|7|8|9)\d{8}$"),
    Field(description="Vietnamese mobile number, 0xxxxxxxxx or +84xxxxxxxxx"),
]
PassportNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9]{6,12}$"),
    Field(description="Passport number as printed: 6 to 12 capital letters and digits"),
]
Nationality = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="Nationality: ISO 3166-1 alpha-3 code, as in a passport's MRZ (e.g. KOR)"),
]

EmailAddress = Annotated[
    str,
    StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=254),
    Field(description="An e-mail address, for notifications"),
]

TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code_check_digit(first_nine: str) -> int | None:
    """The 10th digit of a Vietnamese tax code (mã số thuế) from the first nine (Circular
    105/2020/TT-BTC structure): 10 - (weighted sum mod 11); no valid code when that is 10."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, TAX_CODE_WEIGHTS, strict=True)) % 11
    check = 10 - remainder
    return None if check == 10 else check


def _checked_tax_code(value: str) -> str:
    if tax_code_check_digit(value[:9]) != int(value[9]):
        raise ValueError("tax code check digit does not match")
    return value


TaxCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{10}(-\d{3})?$"),
    AfterValidator(_checked_tax_code),
    Field(description="Tax code: 10 digits, or 13 for a branch (10 digits, '-', 3 digits)"),
]


class Address(BaseModel):
    """Two-tier since 1 July 2025: province and commune (ward, special zone). A district is
    still accepted for an address written on the old map."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    province: str = Field(min_length=1, max_length=100, repr=False)
    district: str | None = Field(
        None, min_length=1, max_length=100, repr=False, description="Old map only (optional)"
    )
    commune: str = Field(
        min_length=1, max_length=100, repr=False, description="Commune, ward or special zone"
    )
    street: str = Field(min_length=1, max_length=200, repr=False)


class Person(BaseModel):
    """A postal recipient. `repr=False` keeps it out of tracebacks and logs."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, repr=False)
    phone: VietnamesePhone = Field(repr=False)
    address: Address = Field(repr=False)


class PersonIdentity(BaseModel):
    """Who a person is: a citizen ID number, or a passport number with its nationality."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id_number: CitizenIdNumber | None = Field(None, repr=False)
    passport_number: PassportNumber | None = Field(None, repr=False)
    nationality: Nationality | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> Self:
        if (self.id_number is None) == (self.passport_number is None):
            raise ValueError("give exactly one of id_number and passport_number")
        if self.passport_number is not None and self.nationality is None:
            raise ValueError("a passport_number needs its nationality")
        return self

    @property
    def identity(self) -> str:
        """What identifies the person across dossiers (hashed before it is used as a key)."""
        if self.id_number is not None:
            return self.id_number
        return f"passport:{self.nationality}:{self.passport_number}"


class Consent(BaseModel):
    """The applicant's choice of notifications (Law 91/2025/QH15: only what they chose, kept
    no longer than their data): the channels, and the e-mail address if e-mail is one. SMS
    and Zalo go to the applicant's phone."""

    email: EmailAddress | None = Field(None, repr=False)
    notify: tuple[NotificationChannel, ...] = Field(
        (), description="The channels the applicant chose to be told on (none: not told)"
    )
    rating_token: str | None = Field(
        None,
        max_length=64,
        repr=False,
        description="Set by intake, never taken from a request: the receipt's rating token, "
        "kept with the data of an applicant who chose to be told, for the rating link",
    )

    @model_validator(mode="after")
    def _email_for_email(self) -> Self:
        if NotificationChannel.EMAIL in self.notify and self.email is None:
            raise ValueError("notify by email needs an email address")
        return self


class PersonApplicant(Person, PersonIdentity, Consent):
    """A person: a Vietnamese citizen, or a foreigner with a passport."""

    kind: Literal["person"] = "person"

    def recipient(self) -> Person:
        return Person(name=self.name, phone=self.phone, address=self.address)


class OrganisationApplicant(Consent):
    """A business or another organisation, filing through its representative."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    kind: Literal["organisation"] = "organisation"
    name: str = Field(min_length=1, max_length=300, description="The organisation's name")
    tax_code: TaxCode = Field(repr=False)
    representative: str = Field(min_length=1, max_length=200, repr=False)
    phone: VietnamesePhone = Field(repr=False)
    address: Address = Field(repr=False)

    @property
    def identity(self) -> str:
        """An organisation's dossiers are indexed by its tax code (no request reads that index
        today: data subject requests are a person's)."""
        return f"organisation:{self.tax_code}"

    def recipient(self) -> Person:
        return Person(name=f"{self.representative} ({self.name})", phone=self.phone,
                      address=self.address)  # fmt: skip


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "person"))
    return str(getattr(value, "kind", "person"))


Applicant = Annotated[
    Annotated[PersonApplicant, Tag("person")]
    | Annotated[OrganisationApplicant, Tag("organisation")],
    Discriminator(_kind),
]
APPLICANT: TypeAdapter[Applicant] = TypeAdapter(Applicant)


def parse_applicant(applicant_json: str | bytes) -> PersonApplicant | OrganisationApplicant:
    return APPLICANT.validate_json(applicant_json)
