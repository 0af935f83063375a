"""A defined answer for every invoke Teams may send, never botbuilder's bare 501 with no body.

Universal Actions (`adaptiveCard/action`) are the bot's business; it offers no task modules,
message extensions or sign-in, and says so in the shape each protocol expects.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse

from teams_bot.bf.cards import bad_invoke

NOT_OFFERED = "This bot offers no {what}; mention it with `help` to see what it can do."


def _task(what: str) -> InvokeResponse:
    return InvokeResponse(
        status=200, body={"task": {"type": "message", "value": NOT_OFFERED.format(what=what)}}
    )


def _extension(what: str) -> InvokeResponse:
    text = NOT_OFFERED.format(what=what)
    return InvokeResponse(
        status=200,
        body={"composeExtension": {"type": "message", "text": text}},
    )


def _error(status: int, code: str, message: str) -> InvokeResponse:
    body = {
        "statusCode": status,
        "type": "application/vnd.microsoft.error",
        "value": {"code": code, "message": message},
    }
    return InvokeResponse(status=200, body=body)


def refused_invoke(message: str) -> InvokeResponse:
    return _error(403, "Forbidden", message)


def unavailable_invoke(message: str) -> InvokeResponse:
    """Universal Actions: the card shows the message; the person may press again later."""
    return _error(503, "ServiceUnavailable", message)


def answer_for(name: str | None, value: Any) -> InvokeResponse:
    """The answer to an invoke this bot does not handle itself."""
    name = name or ""
    if name.startswith("task/"):
        return _task("dialogs (task modules)")
    if name.startswith("composeExtension/"):
        return _extension("message extensions")
    if name == "signin/tokenExchange":
        # 412: the client falls back to showing the sign-in card (which this bot never sends)
        ident = value.get("id") if isinstance(value, dict) else None
        body = {"id": ident, "failureDetail": "this bot does not use single sign-on"}
        return InvokeResponse(status=412, body=body)
    if name.startswith("signin/"):
        return InvokeResponse(status=200, body={})
    if name == "adaptiveCard/action":
        return InvokeResponse(status=200, body=bad_invoke("not an Action.Execute invoke"))
    what = f"invoke '{name}'" if name else "invoke without a name"
    return InvokeResponse(status=200, body=bad_invoke(f"this bot does not handle an {what}"))
