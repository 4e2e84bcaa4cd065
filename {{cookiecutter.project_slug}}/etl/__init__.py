"""The project's Prefect pipelines.

Layout: ``flows`` compose ``tasks``; ``records`` holds the typed values rows travel as
between tasks; ``warehouse`` owns the warehouse's tables, connection and statements;
``hooks`` react to state changes; ``utils`` holds settings, block creation and the
project's own integrity checks.
"""
