"""The alerts feature's long-lived parts, one set per running bot: the sources from the config
file, the alert store on the outbox, and this replica's delivery worker (woken on ingestion)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from teams_bot.alerts import AlertsConfig, AlertStore, load_alerts
from teams_bot.features.runbooks.config import load_runbooks_config
from teams_bot.outbox import DeliveryWorker, OutboxStore

if TYPE_CHECKING:
    from teams_bot.services import Services


@dataclass
class AlertsRuntime:
    config: AlertsConfig
    outbox: OutboxStore
    store: AlertStore
    runbooks: frozenset[str] = frozenset()  # executable runbooks a card may offer to run
    workers: list[DeliveryWorker] = field(default_factory=list)

    def wake(self) -> None:
        for worker in self.workers:
            worker.wake()


_RUNTIMES: dict[int, AlertsRuntime] = {}


def runtime(services: Services) -> AlertsRuntime:
    """This bot's alerts parts (made on first use; the config file was checked at start)."""
    found = _RUNTIMES.get(id(services))
    if found is not None and found.store is not None:
        return found
    path = services.settings.config_file
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    config = load_alerts(path, data)
    outbox = OutboxStore(services.db)
    runbooks = frozenset(r.name for r in load_runbooks_config(path).runs)
    made = AlertsRuntime(config, outbox, AlertStore(services.db, outbox, config.sources), runbooks)
    _RUNTIMES[id(services)] = made
    return made


def forget(services: Services) -> None:
    _RUNTIMES.pop(id(services), None)
