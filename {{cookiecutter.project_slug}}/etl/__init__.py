"""The project's Prefect pipelines.

Layout: ``flows`` compose ``tasks``; ``hooks`` react to state changes; ``utils`` holds
settings, block creation and the project's own integrity checks.
"""
