"""Files the register reads (`customer import`, `settings load`): a regular file, or a clear no.

A device, a pipe or a socket could be endless (`/dev/zero`), so only a regular file is
read; a path that does not lead to one is refused with one line naming an excerpt of it.
"""

import errno
import stat
from pathlib import Path

from lautex_registry.platform.characters import excerpt
from lautex_registry.platform.errors import InvalidInput, NotFound, bad_path, t

# The path is wrong rather than the file missing, but the user fixes both the same way.
_MISSING = {errno.ENOENT, errno.ENOTDIR}


def regular_file_size(path: Path, field: str) -> int:
    """The size of the regular file at `path` (links followed); anything else is refused."""
    shown = excerpt(str(path))
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno in _MISSING:
            raise NotFound(t("{field}: {shown} does not exist", field=field, shown=shown)) from exc
        refused = bad_path(exc, field)
        if refused is not None:
            raise refused from exc
        raise
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(
            t("{field}: {shown} is a folder; give the file in it", field=field, shown=shown)
        )
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(
            t(
                "{field}: {shown} is not a regular file (a device or a pipe)",
                field=field,
                shown=shown,
            )
        )
    return info.st_size
