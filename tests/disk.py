"""A real, small file system that fills up: a tmpfs of a few kilobytes mounted for one test.

Tests of "a full disk never leaves two files out of step" write onto it until ``OSError: [Errno
28] No space left on device``. Mounting needs root (CI and the developers' machines run as root);
elsewhere the tests that use it are skipped with the reason.
"""

import contextlib
import os
import subprocess

import pytest


@contextlib.contextmanager
def small_disk(path, size_kb):
    """Mount a tmpfs of ``size_kb`` KiB at ``path`` (created) for the ``with`` block."""
    os.makedirs(path, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs",
                              os.fspath(path)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", os.fspath(path)], capture_output=True)


def fill(folder, leave_bytes=0):
    """Fill the file system of ``folder`` until at most ``leave_bytes`` are free; returns the
    filler's path (remove it to free the space again)."""
    filler = os.path.join(folder, ".filler")
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with open(filler, "wb") as handle:
        try:
            handle.write(b"\0" * max(0, free - leave_bytes))
            handle.flush()
        except OSError:
            pass
    return filler
