"""Benchmarks of the SDK, each against a baseline measured in the same run."""
