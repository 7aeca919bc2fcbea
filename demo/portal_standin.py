"""A stand-in for the National Public Service Portal's integration platform (LGSP), for tests
and the demo: a real HTTP server that speaks the calls the exchange service makes, checks each
record against the field rules, records what it acknowledged, and can be told to fail or be
slow.

    python -m demo.portal_standin        (PORTAL_STANDIN_PORT, default 8090;
                                          PORTAL_STANDIN_FILE: where records are kept;
                                          PORTAL_STANDIN_FAIL_DOSSIERS="CODE:500": failing
                                          from the start)

- `POST /lgsp`: `{"session", "madonvi", "service", "isUpdating", "data": [record]}`. A record
  that breaks a rule is refused (HTTP 200, `error_code` "01" and the rule); an acknowledged
  one is appended to the file, with its `Idempotency-Key`, and answered `error_code` "00".
- `POST /control`: `{"unavailable_seconds": 30}` (503 to everything for that long),
  `{"fail_dossiers": {"CODE": 500}}` (that status to that dossier's records),
  `{"delay_seconds": 2}` (every answer that late); `DELETE /control` ends them.
- `GET /received?code=CODE`: what was acknowledged, in order (all dossiers without `code`).

The file is read back at start, so a stand-in stopped and started again keeps what it had.
"""

import asyncio
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from services.exchange.domain.portal_mapping import PortalMapping

DATE = re.compile(r"^\d{14}$")
DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "KenhThucHien", "NgayTiepNhan", "TrangThaiHoSo",
                    "DonViXuLy")  # fmt: skip
PROGRESS_REQUIRED = ("MaHoSo", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")
DATE_FIELDS = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy",
               "NgayTuChoi", "ThoiDiemXuLy", "NgayKetThucTheoQuyDinh")  # fmt: skip


def record_errors(call: str, record: dict[str, Any], mapping: PortalMapping) -> list[str]:
    """What is wrong with one record, by the rules the portal is known to check."""
    calls = mapping.calls
    if call not in (calls.dossier, calls.progress):
        return [f"unknown service {call!r}"]
    required = DOSSIER_REQUIRED if call == calls.dossier else PROGRESS_REQUIRED
    errors = [f"{name} is required" for name in required if record.get(name) in (None, "")]
    for name in DATE_FIELDS:
        if name in record and not DATE.match(str(record[name])):
            errors.append(f"{name} must be yyyyMMddHHmmss")
    status = record.get("TrangThaiHoSo", record.get("TrangThai"))
    if status is not None and status not in mapping.statuses:
        errors.append(f"status {status!r} is not one of the ten national codes")
    if "KenhThucHien" in record and record["KenhThucHien"] not in (1, 2, 3):
        errors.append("KenhThucHien must be 1, 2 or 3")
    for supplement in record.get("DanhSachHoSoBoSung", []):
        if "NgayHenTraMoi" in supplement and "NgayHenTraTruoc" not in supplement:
            errors.append("a supplement's new appointment needs its previous one")
    return errors


class Control:
    def __init__(self) -> None:
        self.unavailable_until = 0.0
        self.fail_dossiers: dict[str, int] = {}
        self.delay_seconds = 0.0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def create_app(
    path: Path, mapping: PortalMapping, token: str | None = None, failing: str = ""
) -> FastAPI:
    """`failing`: "CODE:500,CODE2:502", dossiers failed from the start (as `fail_dossiers`)."""
    app = FastAPI(title="National Public Service Portal stand-in")
    control = Control()
    for item in filter(None, failing.split(",")):
        code, _, status = item.partition(":")
        control.fail_dossiers[code] = int(status or 500)
    received: list[dict[str, Any]] = [
        json.loads(line) for line in path.read_text().splitlines() if line
    ] if path.exists() else []  # fmt: skip

    @app.post("/lgsp")
    async def lgsp(request: Request, idempotency_key: str = Header("")) -> JSONResponse:
        if control.delay_seconds:
            await asyncio.sleep(control.delay_seconds)
        if time.monotonic() < control.unavailable_until:
            return JSONResponse({"error_code": "99", "message": "unavailable"}, status_code=503)
        body = await request.json()
        if token is not None and body.get("session") != token:
            return JSONResponse({"error_code": "401", "message": "bad session"}, status_code=401)
        records = body.get("data") or []
        codes = {str(r.get("MaHoSo")) for r in records}
        failing = [control.fail_dossiers[c] for c in codes if c in control.fail_dossiers]
        if failing:
            return JSONResponse({"error_code": "98", "message": "failing"}, status_code=failing[0])
        errors = [e for r in records for e in record_errors(body.get("service"), r, mapping)]
        if errors or not records:
            return JSONResponse({"error_code": "01", "message": "; ".join(errors) or "no data"})
        for record in records:
            entry = {"key": idempotency_key, "service": body["service"],
                     "isUpdating": body.get("isUpdating"), "data": record}  # fmt: skip
            received.append(entry)
            with path.open("a") as file:
                file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return JSONResponse({"error_code": "00", "message": "ok"})

    @app.post("/control")
    async def set_control(settings: dict[str, Any]) -> dict[str, str]:
        if "unavailable_seconds" in settings:
            control.unavailable_until = time.monotonic() + float(settings["unavailable_seconds"])
        control.fail_dossiers |= {k: int(v) for k, v in settings.get("fail_dossiers", {}).items()}
        control.delay_seconds = float(settings.get("delay_seconds", control.delay_seconds))
        return {"status": "set"}

    @app.delete("/control")
    async def reset_control() -> dict[str, str]:
        control.reset()
        return {"status": "reset"}

    @app.get("/received")
    async def get_received(code: str | None = None) -> list[dict[str, Any]]:
        return [e for e in received if code is None or e["data"].get("MaHoSo") == code]

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    run_dir = Path(os.environ.get("RUN_DIR", ".run"))
    path = Path(os.environ.get("PORTAL_STANDIN_FILE", run_dir / "portal-standin.jsonl"))
    path.parent.mkdir(parents=True, exist_ok=True)
    token_file = os.environ.get("PORTAL_TOKEN_FILE")
    token = Path(token_file).read_text().strip() if token_file else None
    failing = os.environ.get("PORTAL_STANDIN_FAIL_DOSSIERS", "")
    app = create_app(path, PortalMapping.from_file(), token, failing)
    port = int(os.environ.get("PORTAL_STANDIN_PORT", "8090"))
    host = os.environ.get("STANDIN_HOST", "127.0.0.1")  # 0.0.0.0 in a container
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
