"""Benchmark harness: latency measurement and estimates, datasets, feature cache, transferability, probes, executors."""
