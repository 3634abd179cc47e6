"""Which register file a command works on, and the user's config file that may name it.

Precedence (docs/rules.md §6): `--db PATH`, else `$LAUTEX_DB`, else `db = "PATH"` in
the user's config file (`$XDG_CONFIG_HOME/lautex/config.toml`, by default
`~/.config/lautex/config.toml`), else `data/lautex.db` under the working directory.
A clerk who starts `lautex` from another folder then still reaches the one register,
and a register that is not where it was looked for is reported with where that was
and how to point at the right one, never created empty (only `init` and `demo`
create a register).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from lautex_registry.platform.errors import InvalidInput, Message, NotFound, os_reason, t

DEFAULT_DB = Path("data") / "lautex.db"
CONFIG_KEYS = ("db",)


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/lautex/config.toml`, by default `~/.config/lautex/config.toml`."""
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "lautex" / "config.toml"


@dataclass(frozen=True)
class RegisterLocation:
    path: Path
    source: str  # "--db", "LAUTEX_DB", "config" or "default"
    config: Path  # the config file looked at (whether it exists or not)

    def describe_source(self) -> Message:
        if self.source == "--db":
            return t("given with --db")
        if self.source == "LAUTEX_DB":
            return t("from $LAUTEX_DB")
        if self.source == "config":
            return t("`db` in {config}", config=self.config)
        return t("the default: no --db, no $LAUTEX_DB, no `db` in {config}", config=self.config)

    def require_existing(self) -> Path:
        """The path, or NotFound (exit 3) naming where it looked and how to point elsewhere."""
        if self.path.exists():
            return self.path
        where = self.describe_source()
        if self.source == "default":
            raise NotFound(
                t(
                    "no register at {path} ({where}): run `lautex init` to create one here, "
                    "or name yours with --db PATH, LAUTEX_DB=PATH or "
                    "`lautex --db PATH config --save`",
                    path=self.path,
                    where=where,
                )
            )
        if self.source == "config":
            raise NotFound(
                t(
                    "no register at {path} ({where}): correct it with "
                    "`lautex --db PATH config --save` (or edit {config})",
                    path=self.path,
                    where=where,
                    config=self.config,
                )
            )
        raise NotFound(
            t(
                "no register at {path} ({where}): check the path "
                "(`lautex config` shows where lautex looks)",
                path=self.path,
                where=where,
            )
        )


def read_config(path: Path | None = None) -> dict[str, str]:
    """The config file's settings ({} when there is none); a bad file is exit 2, naming it."""
    path = path or config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidInput(
            t("config: cannot read {path}: {value}", path=path, value=os_reason(exc))
        ) from exc
    import tomllib

    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            t("config: {path} is not valid TOML: {exc}", path=path, exc=exc)
        ) from exc
    unknown = sorted(set(parsed) - set(CONFIG_KEYS))
    if unknown:
        raise InvalidInput(
            t(
                "config: {path}: unknown setting {unknown!r} (known: {config_keys})",
                path=path,
                unknown=unknown[0],
                config_keys=", ".join(CONFIG_KEYS),
            )
        )
    db = parsed.get("db")
    if db is None:
        return {}
    if not isinstance(db, str) or not db.strip():
        raise InvalidInput(t("config: {path}: db must be a path in quotes", path=path))
    expanded = Path(db).expanduser()
    if not expanded.is_absolute():
        # Relative to what? The working directory is the thing the file is there to overcome.
        raise InvalidInput(
            t("config: {path}: db must be an absolute path (got {db!r})", path=path, db=db)
        )
    return {"db": str(expanded)}


def locate_register(option: str | None) -> RegisterLocation:
    """Where the register is, by the precedence above."""
    config = config_path()
    if option:
        return RegisterLocation(Path(option), "--db", config)
    env = os.environ.get("LAUTEX_DB")
    if env:
        return RegisterLocation(Path(env), "LAUTEX_DB", config)
    named = read_config(config).get("db")
    if named:
        return RegisterLocation(Path(named), "config", config)
    return RegisterLocation(DEFAULT_DB, "default", config)


def save_register(path: Path) -> Path:
    """Name `path` (made absolute) as the register in the config file; returns the file.

    The file is written whole (a temporary file renamed over it), mode 0600.
    """
    from lautex_registry.platform.output_files import create_private_folder

    register = path.expanduser().resolve()
    if not register.is_file():
        raise NotFound(
            t(
                "db: no register at {register}: only an existing register is saved",
                register=register,
            )
        )
    config = config_path()
    create_private_folder(config.parent, "config")
    # A TOML basic string takes JSON's escapes (\", \\, \uXXXX).
    text = (
        "# lautex: the register to use when neither --db nor $LAUTEX_DB names one\n"
        f"db = {json.dumps(str(register))}\n"
    )
    partial = config.with_name(f".{config.name}.{os.getpid()}.lautex-partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, config)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return config
