"""Operational features: each module owns its commands, cards and button verbs."""
