"""Tasks: one responsibility per module; inputs and results are plain, picklable values."""
