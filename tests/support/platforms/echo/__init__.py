"""A whole platform in one folder: "echo" answers the events its test feeds it and records
what the outbox pushes. Enabled by ``ECHO_TOKEN``, like a real platform by its credentials."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.adapters import AdapterSpec
from bot.app import App
from bot.model import ChatKind, ChatRef, Event, EventKind, Reply, Sender
from bot.web import WebServer
from storage.membership import Chat

NAME = "echo"


class EchoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECHO_", extra="ignore")

    token: str = ""


class EchoSender:
    def __init__(self) -> None:
        self.pushed: list[tuple[str, list[Reply]]] = []

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        self.pushed.append((chat.platform_chat_id, replies))


class EchoAdapter:
    """Says ``/start`` as user "u1" when started; keeps the answer."""

    platform = NAME

    def __init__(self, app: App) -> None:
        self.app = app
        self.sender = EchoSender()
        self.answers: list[Reply] = []
        self.running = False

    async def start(self) -> None:
        self.running = True
        outcome = await self.app.handle(Event(NAME, "1", ChatRef(NAME, "u1", ChatKind.PRIVATE), Sender("u1", "Una"),
                                              EventKind.TEXT, text="/start"))
        self.answers += outcome.replies
        BUILT.append(self)

    async def stop(self) -> None:
        self.running = False


BUILT: list[EchoAdapter] = []  # every adapter serve has started, for the test to look at


def build(app: App, web: WebServer, settings: EchoSettings) -> EchoAdapter:
    return EchoAdapter(app)


SPEC = AdapterSpec(name=NAME, display_name="Echo", settings_model=EchoSettings, enabled=lambda s: bool(s.token),
                   build=build, required="ECHO_TOKEN")
