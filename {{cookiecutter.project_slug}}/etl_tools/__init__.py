"""Developer tools that run beside the pipelines: never imported by flows, not in the image."""
