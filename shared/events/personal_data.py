"""Personal data types: validated on the way in, never logged (their repr is masked)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CitizenIdNumber = Annotated[
    str, StringConstraints(pattern=r"^\d{12}$"), Field(description="12-digit citizen ID (CCCD)")
]
VietnamesePhone = Annotated[
    str,
    StringConstraints(pattern=r"^(0|\+84)(3|5|7|8|9)\d{8}$"),
    Field(description="Vietnamese mobile number, 0xxxxxxxxx or +84xxxxxxxxx"),
]


class Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    province: str = Field(min_length=1, max_length=100, repr=False)
    district: str = Field(min_length=1, max_length=100, repr=False)
    commune: str = Field(min_length=1, max_length=100, repr=False)
    street: str = Field(min_length=1, max_length=200, repr=False)


class Person(BaseModel):
    """An applicant or a postal recipient. `repr=False` keeps it out of tracebacks and logs."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, repr=False)
    phone: VietnamesePhone = Field(repr=False)
    address: Address = Field(repr=False)


class Applicant(Person):
    id_number: CitizenIdNumber = Field(repr=False)
