"""Flows: each module composes tasks into one pipeline and is a `prefect.yaml` entrypoint."""
