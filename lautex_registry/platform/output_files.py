"""Files the tool writes: documents, label sheets, backups, safety copies, demo registers.

Every one of them goes through `new_output_file`, which makes three promises:

- the register is never the target: not the database file, its `-wal`, `-shm` or
  `-journal`, its erasure journal or retention lock, whatever spelling, symbolic
  link or hard link leads there (README "Conventions": output files);
- nothing is replaced by accident: a new file is created exclusively, an existing
  one is replaced only with `--force`, a symbolic link or anything that is not a
  regular file is never written through, and a missing folder is an error;
- the target holds a whole file or nothing: the content goes to a private temporary
  file in the same folder, is forced to disk, and only then is linked or renamed into
  place, so a crash or a kill never leaves a partial file under the target's name.
"""

import errno
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from lautex_registry.platform.errors import (
    ENVIRONMENT_ERRNOS,
    Conflict,
    InvalidInput,
    LautexError,
    Message,
    environment_refused,
    os_reason,
    t,
)

STDOUT = "-"
PARTIAL_SUFFIX = ".lautex-partial"
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK}


def is_stdout(output: str | None) -> bool:
    """`-` names standard output, as in every shell tool."""
    return output == STDOUT


def register_files(register: Path) -> list[Path]:
    """The register and every file that lives beside it under its name."""
    return [register, *companion_files(register)]


def companion_files(register: Path) -> list[Path]:
    """The files that live beside a register under its name and go with it: SQLite's
    WAL, shared-memory and rollback journal files, the erasure journal and the
    retention lock. The one list: what is refused as an output, and what is removed
    with a register that is replaced or given up."""
    from lautex_registry.platform.journal import journal_path

    sqlite_files = [Path(f"{register}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
    return [*sqlite_files, journal_path(register), retention_lock_path(register)]


def retention_lock_path(register: Path) -> Path:
    """The nightly job's lock file beside the register (here, not in `retention`, so that
    every command writing a file need not import the retention job to know its name)."""
    return register.with_name(register.name + ".retention.lock")


def remove_companion_files(register: Path) -> None:
    """Remove the files beside `register` (not the register itself), those that exist."""
    for companion in companion_files(register):
        companion.unlink(missing_ok=True)


def _same_file(target: Path, other: Path) -> bool:
    try:
        return os.path.samefile(target, other)
    except OSError:  # one of them does not exist
        return False


def refuse_register(target: Path, register: Path, field: str = "output") -> None:
    """InvalidInput when `target` is the register or one of its files, however it is spelt."""
    real = os.path.realpath(target)
    for companion in register_files(register):
        if real == os.path.realpath(companion) or _same_file(target, companion):
            if companion == register:
                raise InvalidInput(
                    t(
                        "{field}: {target} is the register; choose another file",
                        field=field,
                        target=target,
                    )
                )
            raise InvalidInput(
                t(
                    "{field}: {target} is the register's {name}; choose another file",
                    field=field,
                    target=target,
                    name=companion.name,
                )
            )


def create_private_folder(folder: Path, field: str = "output") -> None:
    """Create `folder` and any missing parents with mode 0700, whatever the umask."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs to set
        except OSError as exc:
            doing = t("{field}: cannot create the folder {path}", field=field, path=path)
            if exc.errno in ENVIRONMENT_ERRNOS:
                raise environment_refused(exc, doing) from exc
            raise InvalidInput(
                Message("{doing}: {reason}", {"doing": doing, "reason": os_reason(exc)})
            ) from exc
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask


def check_target(
    target: Path, register: Path | None, *, force: bool, field: str = "output"
) -> None:
    """Raise the reason `target` may not be written: InvalidInput (exit 2) or Conflict (6)."""
    if register is not None:
        refuse_register(target, register, field)
    folder = target.parent
    if not folder.exists():
        raise InvalidInput(
            t(
                "{field}: the folder {folder} does not exist; create it first",
                field=field,
                folder=folder,
            )
        )
    if not folder.is_dir():
        raise InvalidInput(t("{field}: {folder} is not a folder", field=field, folder=folder))
    check_kind(target, field)
    if target.exists() and not force:
        raise Conflict(
            t(
                "{field}: {target} already exists: add --force to replace it",
                field=field,
                target=target,
            )
        )


def check_kind(target: Path, field: str = "output") -> None:
    """InvalidInput (exit 2) when `target` is a symbolic link (dangling or not), a folder,
    or anything else that is not a regular file: never written through, never replaced."""
    if target.is_symlink():
        if not target.exists():
            raise InvalidInput(
                t(
                    "{field}: {target} is a dangling symbolic link; name a real file",
                    field=field,
                    target=target,
                )
            )
        raise InvalidInput(
            t("{field}: {target} is a symbolic link; name a real file", field=field, target=target)
        )
    if target.is_dir():
        raise InvalidInput(
            t("{field}: {target} is a folder; give a file name", field=field, target=target)
        )
    if target.exists() and not target.is_file():
        raise InvalidInput(t("{field}: {target} is not a regular file", field=field, target=target))


class PendingOutput:
    """A private temporary file beside the target, put in place by `publish`."""

    def __init__(self, target: Path, *, force: bool, field: str, kind: str = "") -> None:
        """`kind` goes into the temporary name (`.NAME.KIND.XXXXXXXX.lautex-partial`), so that
        a sweep of what a killed command left can tell its files from others' (docs/rules.md
        §5)."""
        self.target = target
        self.force = force
        self.field = field
        infix = f"{kind}." if kind else ""
        name = f".{target.name}.{infix}{secrets.token_hex(4)}{PARTIAL_SUFFIX}"
        self.temp = target.with_name(name)
        self.published = False
        self.synced = False
        try:
            # O_EXCL|O_NOFOLLOW: never an existing file, never through a link.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            self.fd: int | None = os.open(self.temp, flags, 0o600)
            os.fchmod(self.fd, 0o600)  # the umask may have taken bits away, never added any
        except OSError as exc:
            raise self.cannot_write(exc) from exc

    def cannot_write(self, exc: OSError) -> LautexError:
        doing = t("{field}: cannot write {target}", field=self.field, target=self.target)
        # A folder that is there but takes no new file (/proc answers "no such file", /sys
        # "permission denied") is refused by the machine, like a full disk: exit 7, not a typo.
        in_existing_folder = exc.errno == errno.ENOENT and self.target.parent.is_dir()
        if exc.errno in ENVIRONMENT_ERRNOS or in_existing_folder:
            return environment_refused(exc, doing)
        # Only its values are words: not in the catalogue (docs/translating.md).
        return InvalidInput(
            Message("{doing}: {reason}", {"doing": doing, "reason": os_reason(exc)})
        )

    def open(self, mode: str = "w") -> IO[Any]:
        """The temporary file as a stream; closing it is the caller's (or `publish`'s) job."""
        fd, self.fd = self.fd, None
        if fd is None:
            fd = os.open(self.temp, os.O_WRONLY | os.O_NOFOLLOW)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding="utf-8", newline="")

    def hand_over(self) -> Path:
        """The temporary file's path for a writer that opens it by name (SQLite)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        return self.temp

    def publish(self) -> Path:
        """Force the content to disk, then give it the target's name (replacing only with force).

        Callers that record the file in the register publish it inside their transaction,
        so a file that cannot be put in place leaves no record; a second call does nothing.
        """
        if self.published:
            return self.target
        try:
            self.sync()
            if self.force:
                os.rename(self.temp, self.target)
            else:
                self._link_without_replacing()
            self.published = True
            _sync_folder(self.target.parent)
        except FileExistsError as exc:
            raise Conflict(
                t(
                    "{field}: {target} already exists: add --force to replace it",
                    field=self.field,
                    target=self.target,
                )
            ) from exc
        except OSError as exc:
            raise self.cannot_write(exc) from exc
        return self.target

    def sync(self) -> None:
        """Force the finished content to disk (done once; `publish` does it if not yet)."""
        if self.synced:
            return
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        fd = os.open(self.temp, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.synced = True

    def _link_without_replacing(self) -> None:
        try:
            os.link(self.temp, self.target, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            # A file system without hard links: check, then rename (a narrow race, no link).
            if os.path.lexists(self.target):
                raise FileExistsError(errno.EEXIST, "exists", str(self.target)) from exc
            os.rename(self.temp, self.target)
            return
        with suppress(OSError):  # the file is in place; `discard` tries again
            os.unlink(self.temp)

    def discard(self) -> None:
        """Remove the temporary file (and any file of a register built in it) if still there."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        # After a hard-link publish the temporary name is a second name of the published file:
        # removing it is safe. After a rename it no longer exists. A register built in it
        # (a demo, a restore) may have left its own files beside it.
        for path in register_files(self.temp):
            with suppress(OSError):
                path.unlink()


def _sync_folder(folder: Path) -> None:
    """The new name itself must survive a crash, not only the bytes behind it."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


@contextmanager
def new_output_file(
    target: Path, register: Path | None, *, force: bool = False, field: str = "output"
) -> Iterator[PendingOutput]:
    """A checked, private temporary file for `target`; in place when the block ends.

    Raises before anything is created when the target may not be written (the
    register, an existing file without `force`, a link, a missing folder). If the
    block raises, the temporary file is removed and the target is untouched.
    """
    check_target(target, register, force=force, field=field)
    pending = PendingOutput(target, force=force, field=field)
    try:
        yield pending
        pending.publish()
    finally:
        pending.discard()


def write_output(
    target: Path,
    content: str | bytes | Iterable[str] | Iterable[bytes],
    register: Path | None,
    *,
    force: bool = False,
) -> Path:
    """Write a whole document to `target` (mode 0600) through a temporary file; text or
    bytes (a PDF) may come in pieces (a long document written as it is made)."""
    with new_output_file(target, register, force=force) as pending:
        try:
            if isinstance(content, str | bytes):
                with pending.open("wb" if isinstance(content, bytes) else "w") as handle:
                    handle.write(content)
            else:
                pieces = iter(content)
                first = next(pieces, "")
                with pending.open("wb" if isinstance(first, bytes) else "w") as handle:
                    handle.write(first)
                    handle.writelines(pieces)
        except OSError as exc:  # e.g. the disk is full: the file is not what was recorded
            raise pending.cannot_write(exc) from exc
    return target
