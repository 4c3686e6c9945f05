"""control layer; see reactor/__init__ and docs/architecture in README."""
