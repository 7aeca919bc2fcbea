"""The reporting service's command-line tools (python -m services.reporting.tools.<name>)."""
