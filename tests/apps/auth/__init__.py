"""Small apps, one per way of logging in, each with ``create_app(refuse=True)`` refusing every login."""
