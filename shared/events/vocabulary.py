"""Closed vocabularies shared by events, requests and reports."""

from enum import StrEnum


class Channel(StrEnum):
    COUNTER = "counter"  # trực tiếp
    ONLINE = "online"  # trực tuyến
    POSTAL = "postal"  # bưu chính công ích


class ReturnMethod(StrEnum):
    COUNTER = "counter"
    ONLINE = "online"
    POSTAL = "postal"


class PaymentMethod(StrEnum):
    ONLINE = "online"  # through the national or provincial payment platform (thanh toán trực tuyến)
    BANK_TRANSFER = "bank_transfer"
    CARD_AT_COUNTER = "card_at_counter"
    CASH = "cash"


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    SAME_DAY = "same_day"


class SupplementPolicy(StrEnum):
    RESTART = "restart"  # current practice: the time limit starts again from the supplement
    RESUME = "resume"  # older practice: the clock was paused and resumes with what was left


class Outcome(StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


class Classification(StrEnum):
    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn


class RatingLevel(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"


class SurveyLevel(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"


class SurveyAspect(StrEnum):
    ACCESS = "access"
    PROCEDURE = "procedure"
    CIVIL_SERVANTS = "civil_servants"
    RESULT = "result"
    FEEDBACK_HANDLING = "feedback_handling"


class RatingChannel(StrEnum):
    COUNTER = "counter"
    KIOSK = "kiosk"
    ONLINE = "online"
    SMS = "sms"


class DeliveryStatus(StrEnum):
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    FAILED = "failed"


class NotificationChannel(StrEnum):
    """How an applicant chose to be told of their dossier's steps (none: not told)."""

    EMAIL = "email"
    SMS = "sms"  # through a carrier's brand-name gateway
    ZALO = "zalo"  # Zalo ZNS, by phone number
