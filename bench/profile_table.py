"""Where each service's CPU goes, from the py-spy profiles `bench.end_to_end --profile DIR`
records (collapsed stacks, one line per distinct stack: `frame;frame;... count`).

    .venv/bin/python -m bench.profile_table DIR

Each sample is put under the first category found walking its stack from the leaf up (the
code that was running, or the library it was running for; the event loop's own frames count
only when nothing else is on the stack, so a socket write is Redis's or Kafka's). The shares of
samples are then scaled to the CPU the process used over the same seconds (`cpu.json`, from
/proc, written by the benchmark), so the cells of a column add up to the share of one core
that service used.
"""

import argparse
import json
from collections import Counter
from pathlib import Path

SERVICES = ("intake", "deadline", "survey", "reporting")
# (category, substrings of a frame's file path); the first match from the leaf wins.
# Frames read `function (path/relative/to/site-packages.py:line)`.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Redis client and its I/O", ("(redis/", "(hiredis")),
    ("Kafka client and its I/O", ("(aiokafka/", "(kafka/")),
    ("FastStream, FastDepends", ("(faststream/", "(fast_depends/")),
    ("pydantic, JSON", ("(pydantic", "(json/", "(orjson")),
    ("HTTP (uvicorn, Starlette)", ("(uvicorn/", "(starlette/", "(fastapi/", "(httptools")),
    ("metrics, logging", ("(prometheus_client/", "(logging/", "(pythonjsonlogger")),
    ("service code", ("(services/", "(shared/")),
)
EVENT_LOOP = "event loop (asyncio)"
OTHER = "other"


def category_of(stack: str) -> str:
    frames = stack.split(";")
    loop = next((i for i, f in enumerate(frames) if f.startswith("Runner.run (asyncio/")), -1)
    frames = frames[loop + 1 :]  # what the event loop was running (the frames above are uvicorn's)
    for frame in reversed(frames):
        for name, markers in CATEGORIES:
            if any(marker in frame for marker in markers):
                return name
    if not frames or any("(asyncio/" in frame or "uvloop" in frame for frame in frames):
        return EVENT_LOOP
    return OTHER


def profile(path: Path) -> Counter[str]:
    samples: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[category_of(stack)] += int(count)
    return samples


def main(directory: Path) -> None:
    names = [name for name, _ in CATEGORIES] + [EVENT_LOOP, OTHER]
    cpu: dict[str, float] = json.loads((directory / "cpu.json").read_text())
    print(f"{'share of one core (%)':<28}" + "".join(f"{s:>11}" for s in SERVICES))
    profiles = {s: profile(directory / f"{s}.txt") for s in SERVICES}
    for name in names:
        cells = []
        for service in SERVICES:
            samples = profiles[service]
            share = samples[name] / max(1, sum(samples.values()))
            cells.append(f"{100 * cpu[service] * share:>11.0f}")
        print(f"{name:<28}" + "".join(cells))
    print(f"{'total (from /proc)':<28}" + "".join(f"{100 * cpu[s]:>11.0f}" for s in SERVICES))
    others = {name: used for name, used in cpu.items() if name not in SERVICES}
    if others:  # the rest of the machine over the same seconds
        print("beside them: " + ", ".join(f"{n} {100 * u:.0f}" for n, u in others.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    main(parser.parse_args().directory)
