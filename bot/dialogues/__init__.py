"""Dialogue tests for editors (`wegwijs content test`) and listening figures."""
