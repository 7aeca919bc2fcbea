"""Demo traffic: the users of the system, emulated. Agencies' counter frontends (HTTP) and the
online portal (Kafka, `intake.submissions.v1`) file dossiers; clerks move them through their
lives (interconnected transfers, supplements, delays with apology, resolutions, returns);
kiosks and the portal rate them; a postal partner on Kafka delivers postal returns (and
sometimes fails, and the desk sends them again). Progress and the month's report every 5 s.

    python -m demo.traffic [--rate 2] [--duration 0] [--online 0.3] [--postal 0.15]
                           [--interconnected 0.1] [--supplement 0.15] [--delay 0.1]
                           [--postal-failures 0.1]

`--duration 0` runs until Ctrl-C. Names, phones and ID numbers are made up. Services are found
at INTAKE_URL, SURVEY_URL, REPORTING_URL (default: the launcher's ports 8001, 8003, 8004) and
Kafka at KAFKA_BOOTSTRAP_SERVERS.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from demo.postal_partner import PARTNER, PostalPartner
from shared.events.personal_data import tax_code_check_digit
from shared.events.topics import INTAKE_SUBMISSIONS
from shared.messaging.kafka_access import KafkaAccess

DESKS = [  # (agency, procedure it files): today's wards (the districts are gone since 1 July 2025)
    ("UBND.P.SG", "1.001193"), ("UBND.P.SG", "2.000908"), ("UBND.P.TD", "1.004873"),
    ("UBND.P.SG", "1.001612"), ("UBND.P.TD", "2.000889"), ("UBND.P.TD", "1.009994"),
    ("STP", "1.001756"), ("SKHDT", "2.001610"),
]  # fmt: skip
PORTAL = "portal"  # the development portal's Kafka principal (config/kafka_clients.toml)
REASONS = ["waiting_time", "guidance", "attitude"]  # of config/rating_reasons.toml
INTERCONNECTED = ("UBND.P.SG", "LT.KS-TT-BHYT", ["CA.P.SG", "BHXH.HCM"])  # liên thông steps
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Nam", "Thảo"]


@dataclass(frozen=True)
class Mix:
    online: float = 0.3  # share of filings from the online portal (over Kafka)
    postal: float = 0.15  # share filed by post (returned by post)
    interconnected: float = 0.1
    supplement: float = 0.15
    delay: float = 0.1
    rated: float = 0.8
    paid: float = 0.2  # a fee requested and paid (60% of them online)
    feedback: float = 0.05  # feedback filed about the dossier (a third filed 15 days back)
    step_pause: tuple[float, float] = (0.5, 3.0)  # seconds between a dossier's steps


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, what: str) -> None:
        self.counts[what] += 1


def applicant(rng: random.Random) -> dict[str, object]:
    """Mostly citizens; some businesses (a tax code with its check digit) and foreigners."""
    address = {"province": "TP. Hồ Chí Minh", "commune": "Phường Sài Gòn",
               "street": f"{rng.randrange(1, 300)} Lê Lợi"}  # fmt: skip
    phone = f"09{rng.randrange(10**7, 10**8)}"
    name = f"{rng.choice(SURNAMES)} Văn {rng.choice(GIVEN)}"
    draw = rng.random()
    if draw < 0.1:
        first_nine = f"03{rng.randrange(10**6, 10**7)}"
        while (check := tax_code_check_digit(first_nine)) is None:
            first_nine = f"03{rng.randrange(10**6, 10**7)}"
        return {"kind": "organisation", "name": f"Công ty TNHH {rng.choice(GIVEN)}",
                "tax_code": f"{first_nine}{check}", "representative": name, "phone": phone,
                "address": address}  # fmt: skip
    if draw < 0.15:
        return {"name": name, "passport_number": f"M{rng.randrange(10**7, 10**8)}",
                "nationality": rng.choice(["KOR", "JPN", "FRA"]), "phone": phone,
                "address": address}  # fmt: skip
    id_number = f"0{rng.randrange(10**10, 10**11)}"
    citizen: dict[str, object] = {"name": name, "id_number": id_number, "phone": phone,
                                  "address": address}  # fmt: skip
    # some choose to be told of their dossier's steps (the gateways' stand-in takes it)
    notify = rng.choice([(), (), ("sms",), ("zalo",), ("sms", "zalo")])
    return citizen | ({"notify": list(notify)} if notify else {})


class Portal:
    """The online portal: files and steps dossiers on Kafka as its own principal (`portal`,
    which may write intake.submissions.v1 and nothing of the dossier events), and fetches a
    filing's receipt (code, appointment, rating token) from intake's
    `GET /v1/submissions/{submission_id}` with its API key."""

    def __init__(self, kafka: KafkaAccess, key: str, intake_url: str) -> None:
        self.key, self.intake_url = key, intake_url
        self.producer = AIOKafkaProducer(**kafka.client_options(), enable_idempotence=True)
        self.http = httpx.AsyncClient(timeout=30, headers={"X-API-Key": key})

    async def __aenter__(self) -> "Portal":
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await self.http.aclose()

    async def send(self, request: dict[str, Any], topic: str = INTAKE_SUBMISSIONS) -> None:
        key = request.get("dossier_code") or request["submission_id"]
        await self.producer.send_and_wait(
            topic, json.dumps(request).encode(), key=str(key).encode(),
            headers=[("x-api-key", self.key.encode())],
        )  # fmt: skip

    async def file(self, filing: dict[str, Any], within: float = 30) -> dict[str, Any] | None:
        """The receipt of a filing sent on Kafka, once intake has handled it; None if it was
        refused (dead-lettered with its reason) or intake is behind."""
        await self.send({"type": "ReceiveDossier", **filing})
        url = f"{self.intake_url}/v1/submissions/{filing['submission_id']}"
        give_up = time.monotonic() + within
        while time.monotonic() < give_up:
            answer = await self.http.get(url)
            if answer.status_code == 200:
                receipt: dict[str, Any] = answer.json()
                return receipt
            await asyncio.sleep(0.2)
        return None


@dataclass
class Simulator:
    client: httpx.AsyncClient
    portal: Portal
    key: str
    mix: Mix
    rng: random.Random
    tally: Tally = field(default_factory=Tally)
    intake: str = os.environ.get("INTAKE_URL", "http://127.0.0.1:8001")
    survey: str = os.environ.get("SURVEY_URL", "http://127.0.0.1:8003")

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}

    async def one_dossier(self) -> None:
        rng, mix = self.rng, self.mix
        online = rng.random() < mix.online
        postal = not online and rng.random() < mix.postal / max(1e-9, 1 - mix.online)
        transfers: list[str] = []
        if not online and rng.random() < mix.interconnected:
            agency, procedure, transfers = INTERCONNECTED
        else:
            agency, procedure = rng.choice(DESKS)
        channel = "online" if online else "postal" if postal else "counter"
        clerk = f"clerk-{rng.randrange(1, 9)}" if channel == "counter" else None
        filing = {
            "submission_id": uuid.uuid4().hex, "procedure_code": procedure,
            "agency_code": agency, "channel": channel, "clerk_id": clerk,
            "applicant": applicant(rng), "return_method": channel,
            "fully_online": online and rng.random() < 0.7,
            "papers_digitised": rng.random() < 0.8,
        }  # fmt: skip
        if transfers:
            await self._interconnected(filing, transfers)
            return
        receipt = await (self.portal.file(filing) if online else self._file_at_counter(filing))
        if receipt is None:
            self.tally.add("refused")
            return
        code = str(receipt["code"])
        self.tally.add(f"received {channel}")
        steps: list[tuple[str, dict[str, Any]]] = []
        if rng.random() < mix.supplement:
            steps += [
                ("request-supplement", {"reason": "thiếu giấy tờ"}),
                ("receive-supplement", {}),
            ]
        if rng.random() < mix.paid:
            amount = rng.choice([50_000, 100_000, 200_000])
            method = "online" if rng.random() < 0.6 else "cash"
            steps += [
                ("request-payment", {"amount_vnd": amount, "reason": "lệ phí"}),
                ("receive-payment", {"amount_vnd": amount, "method": method}),
            ]
        if rng.random() < mix.delay:
            steps.append(("delay", {"reason": "cần xác minh thêm"}))
        electronic = rng.random() < (0.8 if online else 0.4)
        steps += [
            ("resolve", {"outcome": "approved", "electronic_result": electronic}),
            ("return", {}),
        ]
        for action, body in steps:
            await asyncio.sleep(rng.uniform(*mix.step_pause))
            if action == "delay":
                body = body | {"new_appointment_at": await self._later_appointment(code)}
            if await self._step(code, action, body, over_kafka=online):
                self.tally.add(action)
        if postal:
            await self._resend_until_delivered(code)
        if rng.random() < mix.rated:
            await self._rate(receipt, "online" if online or postal else "kiosk")
        if rng.random() < mix.feedback:
            await self._feedback(code)

    async def _feedback(self, code: str) -> None:
        """Feedback about the dossier at survey; the agency answers it after a pause. A third
        is told as filed 15 days back (the demo key may backdate): answered now, it is late,
        and deadline fired its overdue when it was filed."""
        rng = self.rng
        filing = {"submission_id": uuid.uuid4().hex, "dossier_code": code,
                  "category": rng.choice(["dossier_handling", "conduct", "regulation"]),
                  "channel": rng.choice(["portal", "hotline", "mailbox"]),
                  "content": "Đề nghị hướng dẫn rõ hơn về giấy tờ cần nộp."}  # fmt: skip
        if rng.random() < 1 / 3:
            back = datetime.now().astimezone() - timedelta(days=15)
            filing["occurred_at"] = back.isoformat()
        filed = await self.client.post(f"{self.survey}/v1/feedback", json=filing,
                                       headers=self.headers)  # fmt: skip
        if filed.status_code != 201:
            return
        self.tally.add("feedback filed")
        feedback = filed.json()
        await asyncio.sleep(rng.uniform(*self.mix.step_pause))
        answered = await self.client.post(
            f"{self.survey}/v1/feedback/{feedback['feedback_code']}/answer",
            json={"answer": "Bộ phận một cửa đã tiếp thu và hướng dẫn lại."},
            headers=self.headers,
        )  # fmt: skip
        if answered.status_code == 201:
            self.tally.add("feedback answered")
            level = rng.choices(["very_satisfied", "satisfied", "dissatisfied"], [4, 4, 2])[0]
            await self.client.post(
                f"{self.survey}/v1/feedback/{feedback['feedback_code']}/rating",
                json={"feedback_token": feedback["feedback_token"], "level": level},
            )

    async def _interconnected(self, filing: dict[str, Any], transfers: list[str]) -> None:
        """A bundle's life, weeks long, told now with its past times (the demo key may
        backdate): the desk hands on in 2 days of its 3; the police take 5 to 16 calendar days
        of their 7 working days, so about half overrun; insurance takes 3 to 6 of its 5."""
        rng = self.rng
        held = [2.0, rng.uniform(5, 16), rng.uniform(3, 6)]
        now = datetime.now().astimezone()
        moment = now - timedelta(days=sum(held) + 0.5)
        receipt = await self._file_at_counter(filing | {"received_at": moment.isoformat()})
        if receipt is None:
            self.tally.add("refused")
            return
        code = str(receipt["code"])
        self.tally.add("received interconnected")
        actions = [("transfer", {"to_agency_code": to}) for to in transfers]
        for (action, body), days in zip(
            [*actions, ("resolve", {"outcome": "approved"})], held, strict=True
        ):
            moment += timedelta(days=days)
            await asyncio.sleep(rng.uniform(*self.mix.step_pause))
            body = body | {"occurred_at": moment.isoformat()}
            if await self._step(code, action, body, over_kafka=False):
                self.tally.add(action)
        if await self._step(code, "return", {}, over_kafka=False):
            self.tally.add("return")
        if rng.random() < self.mix.rated:
            await self._rate(receipt, "kiosk")

    async def _file_at_counter(self, filing: dict[str, Any]) -> dict[str, Any] | None:
        answer = await self.client.post(f"{self.intake}/v1/dossiers", json=filing,
                                         headers=self.headers)  # fmt: skip
        receipt: dict[str, Any] = answer.json()
        return receipt if answer.status_code == 201 else None

    async def _later_appointment(self, code: str) -> str:
        view = (await self.client.get(f"{self.intake}/v1/dossiers/{code}",
                                      headers=self.headers)).json()  # fmt: skip
        return (datetime.fromisoformat(view["appointment_at"]) + timedelta(days=3)).isoformat()

    async def _step(
        self, code: str, action: str, body: dict[str, Any], *, over_kafka: bool
    ) -> bool:
        submission = uuid.uuid4().hex
        if over_kafka:
            kind = "".join(part.title() for part in action.split("-"))
            kinds = {"Resolve": "ResolveDossier", "Return": "ReturnResult",
                     "Delay": "DelayDossier", "Transfer": "TransferDossier"}  # fmt: skip
            request = {"type": kinds.get(kind, kind), "submission_id": submission,
                       "dossier_code": code, **body}  # fmt: skip
            await self.portal.send(request)
            return True
        answer = await self.client.post(
            f"{self.intake}/v1/dossiers/{code}/{action}",
            json={"submission_id": submission, **body}, headers=self.headers,
        )  # fmt: skip
        return answer.status_code == 200

    async def _resend_until_delivered(self, code: str, within: float = 120) -> None:
        """A failed delivery comes back to the desk (status `resolved`): send it again."""
        give_up = time.monotonic() + within
        while time.monotonic() < give_up:
            await asyncio.sleep(1)
            view = await self.client.get(f"{self.intake}/v1/dossiers/{code}",
                                         headers=self.headers)  # fmt: skip
            status = view.json().get("status") if view.status_code == 200 else None
            if status == "returned":
                self.tally.add("delivered by post")
                return
            if status == "resolved":
                self.tally.add("postal failure, resent")
                await self._step(code, "return", {}, over_kafka=False)

    async def _rate(self, receipt: dict[str, Any], channel: str) -> None:
        """Online: the applicant, with the receipt's rating token; at a kiosk: the kiosk, with
        its API key (rating scope)."""
        level = self.rng.choices(["very_satisfied", "satisfied", "dissatisfied"], [5, 4, 1])[0]
        unhappy = level == "dissatisfied"
        rating = {
            "submission_id": uuid.uuid4().hex, "dossier_code": receipt["code"], "level": level,
            "channel": channel, "reason": "chờ lâu" if unhappy else None,
            "reason_category": self.rng.choice(REASONS) if unhappy else None,
        }  # fmt: skip
        if channel == "online":
            rating["rating_token"] = receipt["rating_token"]
        headers = {} if channel == "online" else self.headers
        answer = await self.client.post(f"{self.survey}/v1/ratings", json=rating, headers=headers)
        if answer.status_code == 201:
            self.tally.add(f"rated {channel}")


async def report_progress(client: httpx.AsyncClient, tally: Tally, started: float) -> None:
    reporting = os.environ.get("REPORTING_URL", "http://127.0.0.1:8004")
    while True:
        await asyncio.sleep(5)
        month = time.strftime("%Y-M%m")
        try:
            url = f"{reporting}/v1/reports/processing?period={month}"
            total = (await client.get(url)).json()["total"]
            figures = (
                f"report {month}: received {total['received_total']}, "
                f"resolved {total['resolved_total']}, pending {total['pending_total']}"
            )
        except (httpx.HTTPError, KeyError, ValueError):
            figures = "report: not available yet"
        done = ", ".join(f"{name} {count}" for name, count in sorted(tally.counts.items()))
        print(f"[demo {time.monotonic() - started:5.0f}s] {done} | {figures}", flush=True)


async def main(arguments: argparse.Namespace) -> None:
    rng = random.Random(arguments.seed)
    mix = Mix(online=arguments.online, postal=arguments.postal,
              interconnected=arguments.interconnected, supplement=arguments.supplement,
              delay=arguments.delay, paid=arguments.paid,
              feedback=arguments.feedback)  # fmt: skip
    partner = PostalPartner(KafkaAccess.from_env(PARTNER), arguments.key,
                            failure_rate=arguments.postal_failures)  # fmt: skip
    started = time.monotonic()
    portal = Portal(KafkaAccess.from_env(PORTAL), arguments.key, Simulator.intake)
    async with httpx.AsyncClient(timeout=30) as client, portal:
        simulator = Simulator(client, portal, arguments.key, mix, rng)
        progress = asyncio.create_task(report_progress(client, simulator.tally, started))
        partner_stop = asyncio.Event()
        delivering = asyncio.create_task(partner.run(partner_stop))
        lives: set[asyncio.Task[None]] = set()
        while arguments.duration <= 0 or time.monotonic() - started < arguments.duration:
            life = asyncio.create_task(simulator.one_dossier())
            lives.add(life)
            life.add_done_callback(lives.discard)
            await asyncio.sleep(rng.expovariate(arguments.rate))
        await asyncio.gather(*lives, return_exceptions=True)
        progress.cancel()
        partner_stop.set()
        await delivering


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=2.0, help="new dossiers per second")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0 = until Ctrl-C")
    parser.add_argument("--online", type=float, default=0.3, help="share filed online (Kafka)")
    parser.add_argument("--postal", type=float, default=0.15, help="share filed by post")
    parser.add_argument("--interconnected", type=float, default=0.1,
                        help="share of counter filings that are the interconnected bundle, "
                        "told with past times; their police step overruns about half the "
                        "time")  # fmt: skip
    parser.add_argument("--supplement", type=float, default=0.15, help="share asked to supplement")
    parser.add_argument("--delay", type=float, default=0.1, help="share delayed with apology")
    parser.add_argument("--paid", type=float, default=0.2, help="share asked for a fee")
    parser.add_argument(
        "--feedback",
        type=float,
        default=0.05,
        help="share whose applicant files feedback, answered by the agency",
    )
    parser.add_argument("--postal-failures", type=float, default=0.1,
                        help="share of postal deliveries that fail (sent again)")  # fmt: skip
    parser.add_argument("--key", default=os.environ.get("DEV_API_KEY", "dev-local-key"))
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(parse_arguments()))
