"""Local stand-ins for the pipeline services (GitHub Actions, Azure Pipelines, Jenkins, a
generic webhook) on 127.0.0.1, speaking their real request and response shapes."""
