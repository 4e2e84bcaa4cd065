"""The project's Prefect pipelines.

Layout: ``flows`` compose ``tasks``; ``records`` holds the typed values rows travel as
between tasks; ``warehouse`` owns the warehouse's tables, connection and statements;
``hooks`` react to state changes; ``utils`` holds runtime helpers (settings, batches).
"""
