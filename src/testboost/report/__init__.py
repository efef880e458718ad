"""Reporters: one data model, many thin renderers (terminal, JSON, ...), each a small module."""
