"""Tasks: one responsibility per module, plain inputs and JSON-serializable results."""
