"""Benchmark: the exchange service keeping up with the demo's traffic: national portal records
and citizens' messages sent a second, and the oldest record waiting, while the demo files and
moves dossiers, then while the backlog drains.

    PORTAL_RATE_PER_SECOND=2000 PORTAL_CONCURRENCY=16 make up
    .venv/bin/python -m bench.exchange_throughput [--rate 40] [--seconds 120]

Samples the exchange's /metrics every 10 s (portal_records_sent_total, the sent
notifications_messages_total, portal_oldest_unsent_age_seconds) and prints a markdown table
(BENCHMARKS.md). Everything runs on one machine: the demo, intake, deadline, survey,
reporting, the stand-ins and the exchange share its cores.
"""

import argparse
import asyncio
import sys
import time

import httpx

EXCHANGE = "http://127.0.0.1:8005/metrics"


def _sum(metrics: str, name: str, having: str = "") -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name) and having in line
    )


async def sample(client: httpx.AsyncClient) -> tuple[float, float, float, float]:
    metrics = (await client.get(EXCHANGE)).text
    return (
        time.monotonic(),
        _sum(metrics, "portal_records_sent_total"),
        _sum(metrics, "notifications_messages_total", 'outcome="sent"'),
        _sum(metrics, "portal_oldest_unsent_age_seconds"),
    )


async def run(rate: float, seconds: int) -> list[str]:
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "demo.traffic", "--rate", str(rate), "--duration", str(seconds),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    rows = ["| at (s) | phase | portal records/s | messages/s | oldest unsent (s) |",
            "|---|---|---|---|---|"]  # fmt: skip
    async with httpx.AsyncClient(timeout=10) as client:
        start = last = await sample(client)
        idle = 0
        while idle < 2:
            await asyncio.sleep(10)
            now = await sample(client)
            span = now[0] - last[0]
            phase = "traffic" if demo.returncode is None else "draining"
            rows.append(
                f"| {now[0] - start[0]:.0f} | {phase} | {(now[1] - last[1]) / span:.0f} "
                f"| {(now[2] - last[2]) / span:.0f} | {now[3]:.1f} |"
            )
            idle = idle + 1 if demo.returncode is not None and now[1] == last[1] else 0
            last = now
    await demo.wait()
    rows.append(f"\ntotal: {last[1] - start[1]:.0f} portal records, "
                f"{last[2] - start[2]:.0f} messages")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="the demo's dossiers a second")
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()
    print("\n".join(asyncio.run(run(args.rate, args.seconds))))


if __name__ == "__main__":
    main()
