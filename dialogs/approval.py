"""Asking the requester why, before an approval request is filed.

A waterfall of two steps: prompt for the reason, then file the request. Dialog state lives in the
bot's SQL storage (per person per conversation, eTag-checked), so a bot restart between the
question and the answer loses nothing: the answer resumes the dialog on whichever replica gets it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import MessageFactory, PrivateConversationState, Storage, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)

REASON_DIALOG = "approval-reason"
_PROMPT = "approval-reason-text"
MAX_REASON = 500

FileRequest = Callable[[TurnContext, dict[str, Any], str], Awaitable[None]]


async def _reason_is_usable(prompt: PromptValidatorContext) -> bool:
    text = (prompt.recognized.value or "").strip() if prompt.recognized.succeeded else ""
    return 3 <= len(text) <= MAX_REASON


class ReasonDialog(ComponentDialog):  # type: ignore[misc]
    """Prompt for a reason (3 to 500 characters), then hand it to `file_request`."""

    def __init__(self, file_request: FileRequest) -> None:
        super().__init__(REASON_DIALOG)
        self._file_request = file_request
        self.add_dialog(TextPrompt(_PROMPT, _reason_is_usable))
        self.add_dialog(WaterfallDialog(f"{REASON_DIALOG}-steps", [self._ask, self._file]))
        self.initial_dialog_id = f"{REASON_DIALOG}-steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        request: dict[str, Any] = step.options
        question = (
            f"'{request['summary']}' needs approval ({request['rule_description']}). "
            "Why do you need it? Reply with the reason (mention me in a channel), "
            "or say `cancel`."
        )
        retry = f"Please give a reason of 3 to {MAX_REASON} characters, or say `cancel`."
        options = PromptOptions(
            prompt=MessageFactory.text(question), retry_prompt=MessageFactory.text(retry)
        )
        return await step.prompt(_PROMPT, options)

    async def _file(self, step: WaterfallStepContext) -> DialogTurnResult:
        await self._file_request(step.context, step.options, str(step.result).strip())
        return await step.end_dialog()


class ApprovalDialogs:
    """The dialog set for one bot, with its state accessor over the bot's storage."""

    def __init__(self, storage: Storage, file_request: FileRequest) -> None:
        self.state = PrivateConversationState(storage)
        self._accessor = self.state.create_property("dialog-state")
        self._dialogs = DialogSet(self._accessor)
        self._dialogs.add(ReasonDialog(file_request))

    async def begin(self, context: TurnContext, request: dict[str, Any]) -> None:
        dc = await self._dialogs.create_context(context)
        await dc.cancel_all_dialogs()
        await dc.begin_dialog(REASON_DIALOG, request)
        await self.state.save_changes(context)

    async def continue_active(self, context: TurnContext, text: str) -> bool:
        """Feed this message to a waiting dialog; False if this person has none here."""
        dc = await self._dialogs.create_context(context)
        if dc.active_dialog is None:
            return False
        if text.strip().lower() in ("cancel", "stop", "never mind"):
            await dc.cancel_all_dialogs()
            await context.send_activity("Cancelled: no approval was requested.")
        else:
            result = await dc.continue_dialog()
            if result.status == DialogTurnStatus.Empty:
                return False
        await self.state.save_changes(context)
        return True
