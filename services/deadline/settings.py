from pydantic import Field

from shared.runtime.settings import ServiceSettings


class DeadlineSettings(ServiceSettings):
    port: int = Field(8002, alias="DEADLINE_PORT")
    due_soon_hours: float = Field(8.0, gt=0, alias="DUE_SOON_WORKING_HOURS")
    apology_reminder_hours: float = Field(8.0, gt=0, alias="APOLOGY_REMINDER_WORKING_HOURS")
    park_seconds: float = Field(300.0, gt=0, alias="OUT_OF_ORDER_PARK_SECONDS")
    sweep_interval_seconds: float = Field(1.0, gt=0, alias="TIMER_SWEEP_INTERVAL_SECONDS")
    claim_batch: int = Field(2000, gt=0, alias="TIMER_CLAIM_BATCH")
    claim_lease_seconds: float = Field(60.0, gt=0, alias="TIMER_CLAIM_LEASE_SECONDS")
    forget_ended_after_days: float = Field(7.0, gt=0, alias="DEADLINE_FORGET_ENDED_AFTER_DAYS")
