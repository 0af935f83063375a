"""A local Bot Framework channel (Teams) simulator for tests and benchmarks.

It speaks the real protocols on 127.0.0.1 so an unmodified botbuilder CloudAdapter
(parameterized via ``bot_env()``) trusts its tokens and MSAL obtains tokens from it.
"""

from .activities import TeamsActivities, mention_entity
from .channel_tokens import BAD_TOKEN_KINDS, TOKEN_KINDS
from .client import PostResult, post_activity
from .recorder import RecordedCall
from .simulator import DEFAULT_APP_ID, DEFAULT_TENANT_ID, ChannelSimulator
from .thread import SimulatorThread
from .users import ALICE, BOB, DEFAULT_USERS, User

__all__ = [
    "ALICE",
    "BAD_TOKEN_KINDS",
    "BOB",
    "DEFAULT_APP_ID",
    "DEFAULT_TENANT_ID",
    "DEFAULT_USERS",
    "TOKEN_KINDS",
    "ChannelSimulator",
    "PostResult",
    "RecordedCall",
    "SimulatorThread",
    "TeamsActivities",
    "User",
    "mention_entity",
    "post_activity",
]
