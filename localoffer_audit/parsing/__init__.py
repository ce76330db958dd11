"""Shared reading of untrusted values: dates, contact values, CSV files people filled in."""
