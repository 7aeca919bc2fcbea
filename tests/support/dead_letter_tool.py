"""The operators' dead-letter command (`python -m shared.messaging.dead_letters`) run as a
process against a test stack's broker, with the stack's key as the redrive's admin key."""

import asyncio
import sys

from tests.support.stack import ROOT, Stack


async def dead_letters(stack: Stack, topic: str, *args: str) -> str:
    """`list` or `redrive` (with filters) on `topic`'s dead letters; the command's output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.messaging.dead_letters", *args, "--topic", topic,
        "--bootstrap", stack.bootstrap, cwd=ROOT, env=stack.env | {"REDRIVE_API_KEY": stack.key},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()
