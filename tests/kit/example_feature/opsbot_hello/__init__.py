"""A third-party feature: one command and one HTTP route, declared with the kit."""

from __future__ import annotations

from aiohttp import web

from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.kit import Feature, Route

commands = CommandRegistry()


@commands.command("hello", permission="help", group="Examples", examples=["hello"])
async def hello(ctx: CommandContext) -> Reply:
    """Say hello from a plug-in."""
    return f"Hello, {ctx.caller.display_name or 'you'}, from a plug-in."


async def ping(services: object, request: web.Request) -> web.StreamResponse:
    return web.json_response({"hello": "plug-in"})


feature = Feature(name="hello", commands=commands, routes=[Route("GET", "/api/hello", ping)])
