"""Where an ``edunet export …`` writes its file: to ``--out``, or to standard output."""

from __future__ import annotations

import sys


def write_export(content: bytes, out: str | None, what: str) -> None:
    """Write ``content`` to the file ``out`` (saying so on stderr), or to stdout when there is none."""
    if out:
        with open(out, "wb") as fh:
            fh.write(content)
        print(f"{what} written to {out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
