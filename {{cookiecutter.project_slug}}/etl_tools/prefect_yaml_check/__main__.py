"""`python -m etl_tools.prefect_yaml_check` (or `python -m prefect_yaml_check` installed)."""

import sys

from .cli import main

sys.exit(main())
