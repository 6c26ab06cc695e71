"""A freshly started process answers its first request: rows read on the fast path (model_construct) work
before any ORM query has configured the mappers (found by the scale-out test, after a replica restart)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_fast_path_row_is_readable_in_a_fresh_process(tmp_path: Path) -> None:
    code = (
        "from services.kit.db import Database\n"
        "from services.repairs.persistence.tables import ClaimRow\n"
        f"Database('sqlite+aiosqlite:///{tmp_path / 'r.db'}')\n"
        "row = ClaimRow.model_construct(rma='RMA-1', centre_id='berlin-1', retailer_id='r')\n"
        "print(row.centre_id, row.retailer_id)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "berlin-1 r"), done.stderr[-2000:]
