"""The survey service."""
