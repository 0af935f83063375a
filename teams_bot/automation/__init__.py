"""The automation seam: runners that execute configured actions, and inventory sources.

Configure with a TOML file (TEAMS_BOT_CONFIG_FILE, see infra/config.example.toml), then:

    config = load_automation(settings.config_file)
    job = config.job_for("reboot", {"node": "web-07"})
    result = await config.runner_for("reboot").run(job, progress=update_card)
    nodes = await config.inventory().failed_nodes(cluster=None)
"""

from teams_bot.automation.config import (
    AutomationConfig,
    ExecSpec,
    HttpInventorySpec,
    load_automation,
)
from teams_bot.automation.errors import (
    ArgumentError,
    ConfigError,
    InventoryError,
    NotConfiguredError,
    TemplateError,
)
from teams_bot.automation.inventory import (
    ExecInventory,
    HttpInventory,
    InventorySource,
    parse_nodes,
)
from teams_bot.automation.local import LocalExecutableRunner
from teams_bot.automation.models import (
    ArgumentValue,
    Job,
    JobResult,
    JobStatus,
    NodeInfo,
    ProgressCallback,
)
from teams_bot.automation.runner import Runner

__all__ = [
    "ArgumentError",
    "ArgumentValue",
    "AutomationConfig",
    "ConfigError",
    "ExecInventory",
    "ExecSpec",
    "HttpInventory",
    "HttpInventorySpec",
    "InventoryError",
    "InventorySource",
    "Job",
    "JobResult",
    "JobStatus",
    "LocalExecutableRunner",
    "NodeInfo",
    "NotConfiguredError",
    "ProgressCallback",
    "Runner",
    "TemplateError",
    "load_automation",
    "parse_nodes",
]
