"""Reading a file someone named, without trusting what it is: only a regular file, and only
up to a limit (a path may be /dev/zero, a FIFO that never ends, or gigabytes)."""

from __future__ import annotations

import stat
from pathlib import Path


class FileNotRead(Exception):
    """Why a file was not read; `too_large` tells a size refusal from an unreadable file."""

    def __init__(self, reason: str, too_large: bool = False) -> None:
        self.reason = reason
        self.too_large = too_large
        super().__init__(reason)


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most max_bytes, or FileNotRead saying why not."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise FileNotRead("not a regular file")
        if info.st_size > max_bytes:
            raise FileNotRead(f"{info.st_size} bytes exceeds the {max_bytes}-byte limit (not read)", too_large=True)
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as exc:
        raise FileNotRead(exc.strerror or str(exc)) from exc
    if len(data) > max_bytes:
        raise FileNotRead(f"more than {max_bytes} bytes (not read)", too_large=True)
    return data
