"""Alertmanager test helpers: recorded-shape webhook payloads and a real Alertmanager process."""
