"""Pure Adaptive Card 1.5 builders: typed data in, card dict out. No I/O, no botbuilder."""

from cards.approval import (
    VERB_APPROVAL_APPROVE,
    VERB_APPROVAL_CANCEL,
    VERB_APPROVAL_DENY,
    ApprovalCardState,
    ApprovalView,
    approval_card,
)
from cards.help import help_card
from cards.models import (
    VERB_NODE_REBOOT,
    VERB_NODES_REBOOT_ALL,
    VERB_RELEASE_ROLLBACK,
    CommandResult,
    CommandStatus,
    FailedNode,
    HelpCommand,
    HelpGroup,
    NodeActions,
    NodeProgress,
    ProgressState,
    ReleaseInfo,
    RoleGrant,
    WhoAmI,
)
from cards.nodes import failed_nodes_card
from cards.result import command_result_card
from cards.size import MAX_CARD_BYTES, CardTooLarge, card_size, fit_card
from cards.whoami import whoami_card

__all__ = [
    "MAX_CARD_BYTES",
    "VERB_APPROVAL_APPROVE",
    "VERB_APPROVAL_CANCEL",
    "VERB_APPROVAL_DENY",
    "VERB_NODES_REBOOT_ALL",
    "VERB_NODE_REBOOT",
    "VERB_RELEASE_ROLLBACK",
    "ApprovalCardState",
    "ApprovalView",
    "CardTooLarge",
    "CommandResult",
    "CommandStatus",
    "FailedNode",
    "HelpCommand",
    "HelpGroup",
    "NodeActions",
    "NodeProgress",
    "ProgressState",
    "ReleaseInfo",
    "RoleGrant",
    "WhoAmI",
    "approval_card",
    "card_size",
    "command_result_card",
    "failed_nodes_card",
    "fit_card",
    "help_card",
    "whoami_card",
]
