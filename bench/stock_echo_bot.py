"""The baseline: botbuilder's stock echo bot.

CloudAdapter with ConfigurationBotFrameworkAuthentication, exactly as the samples build it.

Reads the same settings as our bot from the environment. Run: python -m bench.stock_echo_bot PORT
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

NAMES = [
    "CHANNEL_SERVICE",
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
]


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


def main() -> None:
    config = SimpleNamespace(
        APP_ID=os.environ["MicrosoftAppId"],
        APP_PASSWORD=os.environ["MicrosoftAppPassword"],
        APP_TYPE=os.environ.get("MicrosoftAppType", "MultiTenant"),
        APP_TENANTID=os.environ.get("MicrosoftAppTenantId", ""),
        **{name: os.environ.get(name) for name in NAMES},
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
