"""What tests share: builders of events and requests, the stack launcher, Kafka probes, waits.
Nothing imports from a `test_*.py` module or a conftest; fixtures shared by several modules are
loaded through `pytest_plugins` (tests/conftest.py)."""
