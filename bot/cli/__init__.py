"""One module per CLI command, each with ``register(subparsers)`` and an async handler."""
