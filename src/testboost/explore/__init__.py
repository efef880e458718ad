"""The explorer: seed data, log in, drive every route in-process, record Exchanges."""
