"""Slash commands: parsing, /help, unknown commands, and that commands never reach the model."""

from __future__ import annotations

import pytest

from assistant.orchestrator import Orchestrator
from tests.support.scripted import ScriptedProvider
from tests.tui.conftest import SIZE, OrchestratorFor, answer_done, chat, notices, send, views
from tui.app import FiresideApp
from tui.chat_screen import ChatScreen
from tui.commands import CommandError, CommandRegistry, default_commands, parse, unescape
from tui.output_block import OutputBlock
from tui.prompt_input import PromptInput


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("/help", "help", ""),
        ("  /Search  how are tokens counted \n", "search", "how are tokens counted"),
        ("/search line one\nline two", "search", "line one\nline two"),
        ("/web-search x", "web-search", "x"),
    ],
)
def test_commands_are_parsed(text: str, name: str, args: str) -> None:
    parsed = parse(text)
    assert parsed is not None
    assert (parsed.name, parsed.args) == (name, args)


@pytest.mark.parametrize(
    "text", ["hello /help", "/usr/bin/env is what?", "//help", "/", "/ help", "/1abc"]
)
def test_other_text_is_no_command(text: str) -> None:
    assert parse(text) is None


def test_a_double_slash_sends_the_text_with_one_slash() -> None:
    assert unescape("//help me") == "/help me"
    assert unescape("plain") == "plain"


def test_help_lists_every_registered_command() -> None:
    commands = default_commands()

    @commands.command("zap", "Zap things", usage="/zap THING")
    def zap(screen: ChatScreen, args: str) -> None:
        pass

    text = commands.help_text()
    assert "/help" in text and "/zap THING" in text and "Zap things" in text
    assert "zap" in commands and "nope" not in commands


async def test_help_shows_a_block_and_nothing_goes_to_the_model(
    orchestrator_for: OrchestratorFor,
) -> None:
    provider = ScriptedProvider()
    app = FiresideApp(orchestrator_for(provider), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/help")
        await pilot.pause()
        blocks = list(chat(pilot).query(OutputBlock))
        assert len(blocks) == 1
        assert "/help" in blocks[0].body
        assert views(pilot) == []
        assert provider.requests == []
        assert chat(pilot).query_one(PromptInput).text == ""


async def test_an_unknown_command_is_a_notice_not_a_prompt(
    orchestrator_for: OrchestratorFor,
) -> None:
    provider = ScriptedProvider()
    app = FiresideApp(orchestrator_for(provider), warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/nosuch thing")
        await pilot.pause()
        assert any("Unknown command /nosuch" in n for n in notices(pilot))
        assert views(pilot) == [] and provider.requests == []


async def test_a_double_slash_prompt_goes_to_the_model(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "//etc/hosts")
        await answer_done(pilot)
        user = views(pilot)[0]
        assert user.text == "/etc/hosts"


async def test_a_command_error_is_a_notice(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        registry: CommandRegistry = chat(pilot).commands

        @registry.command("needs", "Needs an argument", usage="/needs ARG")
        async def needs(screen: ChatScreen, args: str) -> None:
            if not args:
                raise CommandError("usage: /needs ARG")

        await send(pilot, "/needs")
        await pilot.pause()
        assert "usage: /needs ARG" in notices(pilot)


async def test_output_blocks_go_with_the_chat(orchestrator: Orchestrator) -> None:
    app = FiresideApp(orchestrator, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/help")
        await pilot.pause()
        assert list(chat(pilot).query(OutputBlock))
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not list(chat(pilot).query(OutputBlock))
