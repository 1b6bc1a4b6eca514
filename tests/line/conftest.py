"""Fixtures of the LINE tests: the fake LINE Messaging API they talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import FakeLineAPI
from tests.line.harness import TOKEN


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    """A fake LINE Messaging API on 127.0.0.1 for the channel token :data:`TOKEN`; it checks every request
    against LINE's OpenAPI spec where ``../shared`` is present (a test file may override it)."""
    async with FakeLineAPI(access_token=TOKEN, spec=load_line_spec()) as server:
        yield server
