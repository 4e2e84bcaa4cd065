"""What the template's own tests, scripts and benchmarks share: one package, imported.

- `render`: rendering the template (in process and as the command line), running a
  rendered project with this environment's tools, the sample data's expected counts;
- `matrix`: the option matrix built from the answer model;
- `prefect_server`: a real local Prefect server (SQLite or PostgreSQL), workers and
  background processes that are always stopped;
- `shell`, `readme`: the shell a documented command runs in, and a README's commands run
  as written on a python3-only machine;
- `compose`: a rendered `docker-compose.yml` read the way Docker Compose reads it;
- `ci_local`, `smoke`: a rendered project's CI commands run here;
- `idle`: CPU seconds of a waiting process tree.

Nothing here imports `tests`, `scripts` or `benchmarks`; they import this. The bootstrap
scripts that run before any environment exists (`scripts/quickstart.py`,
`scripts/run_tests.py`, `scripts/smoke.py`) use only the standard library and their
sibling `scripts/_uv.py`.
"""
