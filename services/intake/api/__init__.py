"""The intake service's HTTP routes."""
