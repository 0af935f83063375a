"""The durable outbox: the one way the bot posts proactively (alerts, job results, schedules).

Callers `enqueue` (committed before it returns, or inside their own transaction); a
`DeliveryWorker` on every replica delivers within Teams' limits through a `send` callable.
"""

from teams_bot.outbox.clock import Clock, FakeClock, SystemClock
from teams_bot.outbox.models import Delivery, NewDelivery, SendResult
from teams_bot.outbox.pacing import Pacer, Window
from teams_bot.outbox.store import OutboxStore
from teams_bot.outbox.worker import DeliveryWorker, OnDisabled, Send, WorkerConfig

__all__ = [
    "Clock",
    "Delivery",
    "DeliveryWorker",
    "FakeClock",
    "NewDelivery",
    "OnDisabled",
    "OutboxStore",
    "Pacer",
    "Send",
    "SendResult",
    "SystemClock",
    "Window",
    "WorkerConfig",
]
