"""Writing a file whole or not at all: a temporary file beside it, then one rename.

``atomic_write(path)`` opens a new temporary file in ``path``'s folder (a name nothing else
uses), hands it to the ``with`` block, and, when the block ends normally, flushes it to disk and
renames it over ``path`` (``os.replace``, atomic on POSIX). If the block raises (a full disk,
Ctrl-C, a bug), the temporary file is removed and ``path`` is untouched: a reader sees the old
file or the new one, never half of one, and nothing is left behind.

Example:
    >>> with atomic_write("runs/a/results.json") as handle:
    ...     json.dump(results, handle)
"""

import contextlib
import os

__all__ = ["atomic_write", "fsync_folder", "remove_quietly"]


@contextlib.contextmanager
def atomic_write(path, mode="w", **open_options):
    """A file object for ``path`` whose contents appear all at once when the block ends."""
    import secrets  # here, not at the top: it loads hashlib, which `import glassgrad` never needs

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, mode.replace("w", "x"), **open_options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())   # the bytes are on disk before the rename makes them live
        os.replace(temporary, path)
    except OSError as error:
        remove_quietly(temporary)
        if error.filename in (None, temporary):   # name the file asked for (a failed write
            error.filename = path                 # says no name; a failed open says ours)
        raise
    except BaseException:
        remove_quietly(temporary)
        raise
    fsync_folder(folder)


def remove_quietly(path):
    """Remove ``path`` if it exists (cleaning up after a failed write)."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def fsync_folder(folder):
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
