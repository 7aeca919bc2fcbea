"""The end-to-end tests' stack: one per test module (tests/support/stack.py launches it)."""

import os
from collections.abc import AsyncIterator

import pytest

from tests.support.stack import Stack, launched_stack


@pytest.fixture(scope="module")
async def stack(
    kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    run_dir = tmp_path_factory.mktemp("stack")  # stack0, stack1, ...: one per test module
    namespace = f"e2e{os.getpid()}-{run_dir.name}"
    async for launched in launched_stack(kafka_topics, namespace, run_dir):
        yield launched
