"""The automation seam: runners that execute configured actions, and inventory sources.

Configure with a TOML file (TEAMS_BOT_CONFIG_FILE, see infra/config.example.toml), then:

    config = load_automation(settings.config_file)
    job = config.job_for("reboot", {"node": "web-07"})
    result = await config.runner_for("reboot").run(job, progress=update_card)
    nodes = await config.inventory().failed_nodes(cluster=None)

Release commands:

    target = config.services.target("web", "prod", "1.4.2")   # checked, or a CommandError
    action = target.service.deploy_action                     # or .rollback_action
    job = config.job_for(action, target.arguments())
    result = await config.runner_for(action).run(job, progress)  # result.url: the pipeline run
    health = await config.status_source("web").health("web")
"""

from teams_bot.automation.config import AutomationConfig, load_automation
from teams_bot.automation.errors import (
    ArgumentError,
    ConfigError,
    InventoryError,
    NotConfiguredError,
    TemplateError,
    UnknownServiceError,
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
from teams_bot.automation.release import ReleaseTarget, ServiceCatalog, ServiceSpec
from teams_bot.automation.runner import Runner
from teams_bot.automation.specs import ExecSpec, HttpInventorySpec, PipelineActionSpec
from teams_bot.automation.status import Health, StatusError, StatusSource

__all__ = [
    "ArgumentError",
    "ArgumentValue",
    "AutomationConfig",
    "ConfigError",
    "ExecInventory",
    "ExecSpec",
    "Health",
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
    "PipelineActionSpec",
    "ProgressCallback",
    "ReleaseTarget",
    "Runner",
    "ServiceCatalog",
    "ServiceSpec",
    "StatusError",
    "StatusSource",
    "TemplateError",
    "UnknownServiceError",
    "load_automation",
    "parse_nodes",
]
