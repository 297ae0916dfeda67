"""Torch-free: the configuration, declarations, run records and catalogue both sides share."""
