"""HTTP pipeline runners beside the local one: GitHub Actions, Azure Pipelines, Jenkins, webhook.

Each implements the Runner protocol (teams_bot/automation/runner.py) on the run loop in
common.py; config.py builds them from `[runners.NAME]` tables.
"""

from teams_bot.automation.pipelines.azure_pipelines import AzurePipelinesRunner, AzurePipelinesSpec
from teams_bot.automation.pipelines.common import PipelineRunner, Timing
from teams_bot.automation.pipelines.github import GitHubActionsRunner, GitHubSpec
from teams_bot.automation.pipelines.http import RemoteError
from teams_bot.automation.pipelines.jenkins import JenkinsRunner, JenkinsSpec
from teams_bot.automation.pipelines.secrets import Secret
from teams_bot.automation.pipelines.signing import (
    CallbackError,
    CallbackHub,
    Update,
    signed_headers,
    verify_callback,
)
from teams_bot.automation.pipelines.webhook import WebhookRunner, WebhookSpec

__all__ = [
    "AzurePipelinesRunner",
    "AzurePipelinesSpec",
    "CallbackError",
    "CallbackHub",
    "GitHubActionsRunner",
    "GitHubSpec",
    "JenkinsRunner",
    "JenkinsSpec",
    "PipelineRunner",
    "RemoteError",
    "Secret",
    "Timing",
    "Update",
    "WebhookRunner",
    "WebhookSpec",
    "signed_headers",
    "verify_callback",
]
