"""Settings, block creation and the project's integrity checks."""
