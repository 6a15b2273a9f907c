"""CSV logs that stay consistent with the checkpoint a run resumes from."""

from __future__ import annotations

import csv
import io
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
        buf = io.StringIO(newline="")
        _write(buf, rows, header=True)
        atomic_write_bytes(self.path, buf.getvalue().encode())

    def append(self, row: dict) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="") as fh:
            _write(fh, [row], header=new)


def _write(fh, rows: list[dict], *, header: bool) -> None:
    # One writer for appends and rewrites, so a resumed log keeps one format throughout.
    writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
    if header:
        writer.writeheader()
    writer.writerows(rows)
