"""CSV logs that stay consistent with the checkpoint a run resumes from."""

from __future__ import annotations

import csv
from pathlib import Path

from mtif.io import atomic_write_bytes


class CsvLog:
    """Appends rows to a CSV; on resume, rows logged after the checkpoint are dropped first."""

    def __init__(self, path: Path, resume_step: int) -> None:
        self.path = path
        if path.exists():
            with path.open(newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= resume_step]
            self._rewrite(rows)

    def _rewrite(self, rows: list[dict]) -> None:
        if not rows:
            self.path.unlink(missing_ok=True)
            return
        lines = [",".join(rows[0])] + [",".join(str(v) for v in r.values()) for r in rows]
        atomic_write_bytes(self.path, ("\n".join(lines) + "\n").encode())

    def append(self, row: dict) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
