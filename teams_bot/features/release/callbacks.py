"""POST /api/runners/{name}/callback: a webhook runner's signed completion call.

The signature (HMAC-SHA256 over `<timestamp>.<body>`, five minutes' window) is checked by the
runner's hub; only a run waiting in this process can be completed, so with several replicas
prefer `completion = "poll"` (see infra/config.example.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from teams_bot.automation.pipelines.signing import CallbackError

if TYPE_CHECKING:
    from teams_bot.services import Services

MAX_CALLBACK_BYTES = 64 * 1024


async def runner_callback(services: Services, request: web.Request) -> web.StreamResponse:
    if request.content_length is not None and request.content_length > MAX_CALLBACK_BYTES:
        return web.json_response({"error": "too large"}, status=413)
    body = await request.content.read(MAX_CALLBACK_BYTES + 1)
    if len(body) > MAX_CALLBACK_BYTES:
        return web.json_response({"error": "too large"}, status=413)
    try:
        services.automation.callbacks.deliver(request.match_info["name"], request.headers, body)
    except CallbackError as exc:
        return web.json_response({"error": str(exc)}, status=exc.status)
    return web.Response(status=204)
