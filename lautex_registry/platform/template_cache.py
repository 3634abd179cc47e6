"""The compiled code of the document templates, kept between processes.

Jinja compiles a template to Python code every time a process loads it: 8-31 ms of CPU
for one letter, statement or access export, up to a tenth of the whole command
(benchmarks/README.md, start-up). Jinja's bytecode cache keeps that code in a file and
reads it back in under a millisecond. Each file is checked against the SHA-1 of the
template's text as it is now, so an edited template is compiled again, never served
stale; the file's name is made from Jinja's version and every setting that changes the
compiled code too (`_settings`), so a changed setting cannot reuse an old file.

The cache is an optimisation only (docs/rules.md §3): a folder that cannot be made, is
not the user's own or is open to others, a file that cannot be read or written, or a
damaged one, means the template is compiled as before, with the same output. The
folder is `$LAUTEX_HOME/template-cache`, else the user's cache folder (e.g.
~/.cache/lautex/templates); it holds compiled template code, never personal data, and
only its owner may write it (0700), since its files are run as code.
"""

import contextlib
import hashlib
import os
import stat
import types
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import FileSystemBytecodeCache

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.bccache import Bucket


class TemplateCache(FileSystemBytecodeCache):
    """Jinja's file cache, keyed by the environment's settings too, and never in the way."""

    def __init__(self, folder: Path, settings: str) -> None:
        super().__init__(str(folder), "%s.jinja")
        self.settings = settings

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        text = f"{self.settings}\0{name}\0{filename or ''}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load_bytecode(self, bucket: "Bucket") -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # an unreadable or damaged file is a miss: compile again
            bucket.reset()
        # marshal reads any value; Jinja would run a string as source and fail on a number
        # only when rendering, every time: what is not compiled code is a miss too.
        if bucket.code is not None and not isinstance(bucket.code, types.CodeType):
            bucket.reset()

    def dump_bytecode(self, bucket: "Bucket") -> None:
        # A full disk or a read-only folder: the template is compiled again next time.
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def template_cache(environment: "Environment") -> TemplateCache | None:
    """The cache for `environment`'s templates, or None when its folder cannot be used."""
    from lautex_registry.platform.errors import LautexError
    from lautex_registry.platform.output_files import create_private_folder

    folder = cache_folder()
    try:
        create_private_folder(folder, "LAUTEX_HOME")  # it and any missing parent: 0700
        info = os.lstat(folder)
    except (OSError, LautexError):
        return None
    # Its files are run as code: only a folder of the user's own that nobody else can
    # write to is used (a symlink is not followed).
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return None
    if stat.S_IMODE(info.st_mode) & 0o022:
        return None
    return TemplateCache(folder, _settings(environment))


def cache_folder() -> Path:
    home = os.environ.get("LAUTEX_HOME")
    if home:
        return Path(home) / "template-cache"
    from platformdirs import user_cache_path

    return user_cache_path("lautex") / "templates"


def _settings(env: "Environment") -> str:
    """What the compiled code of a template depends on besides its text."""
    import jinja2

    return repr(
        (
            jinja2.__version__,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            sorted(env.extensions),
            env.optimized,
            getattr(env.finalize, "__qualname__", env.finalize is not None),
            bool(env.autoescape),
            env.is_async,
        )
    )
