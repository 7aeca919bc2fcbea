"""The deadline service."""
