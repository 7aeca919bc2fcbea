"""Benchmark: the HTTP floor of a receipt, what FastAPI alone costs on this machine.

    .venv/bin/python -m bench.http_floor [--seconds 10] [--concurrency 16]

One uvicorn worker serves `POST /v1/dossiers` with intake's own request model
(`ReceiveDossier`, validated as intake validates it) and answers 201 at once: no catalogue, no
Redis, no Kafka. `wrk` posts the same receipts as `bench.intake_receipts` (bench/receipts.lua).
The rate is the most one process can answer with nothing behind the framework; its inverse is
the CPU the framework takes per receipt, out of the budget a receipt target leaves (two cores
for 3,000 receipts/s: 0.67 ms per receipt for everything, Kafka and Redis included).
"""

import argparse
import subprocess
import sys

from fastapi import FastAPI, Response

from bench.intake_receipts import ROOT, measure
from shared.events.intake_requests import ReceiveDossier


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/dossiers", status_code=201)
    async def receive(request: ReceiveDossier) -> Response:
        return Response('{"ok":true}', status_code=201, media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18002)
    args = parser.parse_args()
    command = [
        sys.executable, "-m", "uvicorn", "bench.http_floor:create_app", "--factory",
        "--port", str(args.port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    figures = measure(
        subprocess.Popen(command, cwd=ROOT), args.port, args.seconds, args.concurrency
    )
    print("FastAPI, 1 uvicorn worker: validate the receipt's body, answer 201, nothing else")
    print(
        f"requests/s                  {figures['rps']:>10,.0f}  ({figures['non_2xx']:.0f} not 2xx)"
    )
    per_request = 1000 / figures["rps"]
    print(f"worker time per request (ms){per_request:>10.2f}   (1 / rate; the worker is the limit)")
    print(f"latency p99 (ms)            {figures['99%']:>10.1f}")


if __name__ == "__main__":
    main()
