"""A stand-in for the SMS brand-name gateway and Zalo ZNS, for tests and the demo: a real HTTP
server that takes what the exchange service sends, keeps it (to be read back) and can be told
to fail.

    python -m demo.gateway_standin      (GATEWAY_STANDIN_PORT, default 8091;
                                         GATEWAY_STANDIN_FILE: where messages are kept)

- `POST /sms` (the shape of config/notifications/sms_gateway.toml): `{"CodeResult": "100"}`;
- `POST /message/template` (Zalo ZNS): `{"error": 0, ...}`;
- `POST /control`: `{"fail_status": 503, "fail_seconds": 60}` (that status to everything for
  that long; no `fail_seconds`: until told otherwise); `DELETE /control` ends it;
- `GET /received?code=CODE`: what was taken (every message without `code`).

It holds phone numbers and texts, as a real gateway does: for the tests' eyes only.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class Failing:
    def __init__(self) -> None:
        self.status = 0
        self.until = 0.0

    def now(self) -> int:
        return self.status if self.status and time.monotonic() < self.until else 0


def create_app(path: Path) -> FastAPI:
    app = FastAPI(title="SMS and Zalo ZNS gateway stand-in")
    failing = Failing()
    taken: list[dict[str, Any]] = (
        [json.loads(line) for line in path.read_text().splitlines() if line]
        if path.exists() else []
    )  # fmt: skip

    def keep(entry: dict[str, Any]) -> None:
        taken.append(entry)
        with path.open("a") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")

    @app.post("/sms")
    async def sms(request: Request) -> JSONResponse:
        if status := failing.now():
            return JSONResponse({"CodeResult": str(status)}, status_code=status)
        body = await request.json()
        keep({"channel": "sms", "key": body.get("RequestId"), "phone": body.get("Phone"),
              "sender": body.get("Brandname"), "text": body.get("Content")})  # fmt: skip
        return JSONResponse({"CodeResult": "100", "SMSID": str(len(taken))})

    @app.post("/message/template")
    async def zalo(request: Request) -> JSONResponse:
        if status := failing.now():
            return JSONResponse({"error": status}, status_code=status)
        body = await request.json()
        keep({"channel": "zalo", "key": body.get("tracking_id"), "phone": body.get("phone"),
              "template_id": body.get("template_id"), "data": body.get("template_data"),
              "token": request.headers.get("access_token")})  # fmt: skip
        return JSONResponse({"error": 0, "message": "Success", "data": {"msg_id": len(taken)}})

    @app.post("/control")
    async def control(settings: dict[str, Any]) -> dict[str, str]:
        failing.status = int(settings.get("fail_status", 0))
        failing.until = time.monotonic() + float(settings.get("fail_seconds", 10**9))
        return {"status": "set"}

    @app.delete("/control")
    async def reset() -> dict[str, str]:
        failing.status = 0
        return {"status": "reset"}

    @app.get("/received")
    async def received(code: str | None = None) -> list[dict[str, Any]]:
        return [m for m in taken if code is None or code in json.dumps(m, ensure_ascii=False)]

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    run_dir = Path(os.environ.get("RUN_DIR", ".run"))
    path = Path(os.environ.get("GATEWAY_STANDIN_FILE", run_dir / "gateway-standin.jsonl"))
    path.parent.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("GATEWAY_STANDIN_PORT", "8091"))
    host = os.environ.get("STANDIN_HOST", "127.0.0.1")  # 0.0.0.0 in a container
    uvicorn.run(create_app(path), host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
