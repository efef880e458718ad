"""Static inference over a loaded app: what each view reads, and the models behind it.

Nothing here sends a request: :mod:`.inputs` reads view source, :mod:`.models` reads the
SQLAlchemy mappers the app has already configured.
"""
