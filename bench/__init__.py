"""Benchmarks of Grassroots Ledger against baselines measured in the same run: ``python -m bench``."""
