"""miner: literature mining for cancer drug cross-resistance."""

__version__ = "0.1.0"
