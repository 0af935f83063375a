"""Security headers on every HTTP answer: an aiohttp middleware.

The bot serves only JSON to the Bot Framework channel and to probes, never a page, so the
answers say so: nothing may be sniffed, framed, cached, or leak a referrer, and no content may
load anything. Behind HTTPS (TLS here, or a proxy that says `X-Forwarded-Proto: https`, as Azure
Container Apps does) browsers are told to keep using HTTPS.

Wiring: `web.Application(middlewares=[security_headers])`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

from aiohttp import web

HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000; includeSubDomains"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def behind_https(request: web.Request) -> bool:
    """TLS on this socket, or a front end that terminated TLS and says so."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def apply_headers(request: web.Request, headers: MutableMapping[str, str]) -> None:
    """Set the security headers a handler did not set itself (it may choose its own caching)."""
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if behind_https(request):
        headers.setdefault("Strict-Transport-Security", HSTS)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer, errors included (404, 405, 413 raised by aiohttp), carries the headers."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        apply_headers(request, exc.headers)
        raise
    if not response.prepared:  # a streamed answer sent its headers already
        apply_headers(request, response.headers)
    return response
