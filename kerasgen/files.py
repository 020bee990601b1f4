"""Atomic file and folder writes: a failed write never leaves a half-written file behind.

A leaf module (it imports nothing from kerasgen), so models, the zoo,
callbacks and tools all write files the same way.
"""

import contextlib
import os
import shutil
import tempfile


def replace_folder(complete, target):
    """Moves the finished folder `complete` to `target`.

    An existing `target` is moved aside first and deleted only once the new
    folder is in place, so a failure never leaves neither.
    """
    if os.path.isdir(target):
        old = target + ".old"
        if os.path.isdir(old):
            shutil.rmtree(old)
        os.rename(target, old)
        os.rename(complete, target)
        shutil.rmtree(old)
    else:
        os.rename(complete, target)


@contextlib.contextmanager
def writing_folder(target, prefix=".writing-", mode=None):
    """Yields a temporary folder beside `target`; on success it replaces `target`.

    On an exception the temporary folder is removed and `target` is left as
    it was.

    Args:
        target: the folder to write.
        prefix: name prefix of the temporary folder.
        mode: optional permission bits of the finished folder (`mkdtemp`
            makes it private).

    Example:
    >>> with writing_folder("exported/vae") as tmp:
    ...     write_everything_into(tmp)
    """
    target = os.path.abspath(os.fspath(target))
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=prefix, dir=parent)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        yield tmp
        replace_folder(tmp, target)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)


@contextlib.contextmanager
def writing_file(path, suffix=""):
    """Yields a temporary path beside `path`; on success it is renamed to `path`.

    Args:
        path: the file to write.
        suffix: suffix of the temporary name (some writers pick the format
            from it, e.g. `".png"`).
    """
    path = os.path.abspath(os.fspath(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".writing-", suffix=suffix, dir=os.path.dirname(path))
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes the file private; the finished file gets the usual
        # permissions (0666 less the umask), as open() would give it.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
