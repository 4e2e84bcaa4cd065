"""Generate an orders CSV in the sample's format (etl/data/orders.csv), with a few bad rows.

Header: order_id,customer,country,quantity,unit_price,ordered_at. About one row in a
thousand is malformed in one of the ways the sample's bad rows are (bad number, bad
country, negative price, impossible date, missing customer), and about one in two
thousand repeats an earlier order_id, so validation and de-duplication do real work.
Deterministic: the same size always gives the same file.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

HEADER = ["order_id", "customer", "country", "quantity", "unit_price", "ordered_at"]
CUSTOMERS = ["Acme Ltd", "Globex Ltd", "Tyrell Ltd", "Hooli Ltd", "Initech", "Umbrella plc"]
COUNTRIES = ["nl", "es", "GB", "fr", "de", "US", "it", "se"]
MALFORMED = [
    ("quantity", "three"),
    ("country", "Deutschland"),
    ("unit_price", "-5.00"),
    ("ordered_at", "2026-13-45"),
    ("customer", ""),
]


def expected_counts(rows: int) -> dict[str, int]:
    """How many rows of a generated file are malformed or duplicated (for the checks)."""
    bad = sum(1 for i in range(rows) if i % 1000 == 999)
    dup = sum(1 for i in range(rows) if i % 2000 == 1499)
    return {"read": rows, "rejected": bad + dup, "loaded": rows - bad - dup}


def write_orders(path: Path, rows: int, seed: int = 20260301) -> Path:
    """Write `rows` data rows (plus the header) to `path`."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            row = [
                str(1000 + i),
                rng.choice(CUSTOMERS),
                rng.choice(COUNTRIES),
                str(rng.randint(1, 40)),
                f"{rng.randint(100, 20000) / 100:.2f}",
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ]
            if i % 1000 == 999:  # malformed, cycling through the kinds
                field, value = MALFORMED[(i // 1000) % len(MALFORMED)]
                row[HEADER.index(field)] = value
            elif i % 2000 == 1499:  # repeats an order_id seen 700 rows earlier
                row[0] = str(1000 + i - 700)
            writer.writerow(row)
    return path


if __name__ == "__main__":
    write_orders(Path(sys.argv[1]), int(sys.argv[2]))
