"""The register's settings: the statement's content and the retention policy.

`lautex init` loads `data/register.toml` when present (else the copy shipped in
the package) into the `settings` table, one row per top-level table of the file.
Everything else reads the settings from the database, so a register carries its
own policy with it.
"""

import json
from collections.abc import Iterator
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import IO, Any

from lautex_registry.platform.characters import excerpt
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.input_files import regular_file_size
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.platform.validation import checked_text

LOCAL_SETTINGS_FILE = Path("data") / "register.toml"
# A top-level key by which a settings file says that the sections it leaves out go back to
# the built-in defaults (without it, `settings load` refuses a file that leaves one out).
RESET_KEY = "reset_to_defaults"
# A settings file is a few dozen KiB of TOML; more is no settings file, and is not read whole.
SETTINGS_MAX_BYTES = 1024 * 1024
# The longest text a setting may hold: a paragraph of the statement, as the free text of requests.
SETTINGS_TEXT_MAX = 4000
# The periods of the [retention] section, in years: what the retention job enforces
# (holds.RetentionPolicy) and what the statement tells the person (privacy_info).
RETENTION_YEARS = (
    "customer_inactive_years",
    "voucher_years",
    "books_years",
    "claim_lapse_years",
    "closed_requests_years",
    "documents_years",
)


def default_settings_text() -> str:
    return resources.files("lautex_registry").joinpath("defaults/register.toml").read_text("utf-8")


def parse_settings(text: str, origin: str) -> dict[str, Any]:
    import tomllib  # here: most commands read stored settings, never a TOML file

    try:
        settings: dict[str, Any] = _dates_as_text(tomllib.loads(text))
        return settings
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(t("{origin}: not valid TOML: {exc}", origin=origin, exc=exc)) from exc


def _dates_as_text(value: Any) -> Any:
    """TOML's dates and times (`statement_date = 2018-01-04`, unquoted) as ISO text, as
    the stored settings (JSON) and every reader of them hold dates."""
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    if isinstance(value, date | time):  # a datetime is a date
        return value.isoformat()
    return value


def _settings_text(path: Path) -> str:
    """The text of a settings file: a folder, a device, a binary or a huge file is refused."""
    regular_file_size(path, "settings")
    with path.open("rb") as handle:
        return _stream_text(handle, excerpt(str(path)))


def _stream_text(handle: IO[bytes], shown: str) -> str:
    """At most SETTINGS_MAX_BYTES of UTF-8 text; a file may grow after it was looked at."""
    data = handle.read(SETTINGS_MAX_BYTES + 1)
    if len(data) > SETTINGS_MAX_BYTES:
        raise InvalidInput(
            t(
                "settings: {shown} is larger than {value} KiB; a settings file is a "
                "short TOML text",
                shown=shown,
                value=SETTINGS_MAX_BYTES // 1024,
            )
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            t(
                "settings: {shown} is not UTF-8 text (byte {value}); a settings file is TOML",
                shown=shown,
                value=exc.start + 1,
            )
        ) from exc


def load_settings_stream(handle: IO[bytes]) -> tuple[dict[str, Any], str]:
    """The settings read from a stream (`settings load -`: standard input)."""
    origin = "standard input"
    return _checked_settings(_stream_text(handle, origin), origin), origin


def load_settings_file(path: Path | None) -> tuple[dict[str, Any], str]:
    """The settings to load at init: the given file, else data/register.toml, else the default."""
    if path is not None:
        return _checked_settings(_settings_text(path), str(path)), str(path)
    if LOCAL_SETTINGS_FILE.exists():
        text = _settings_text(LOCAL_SETTINGS_FILE)
        return _checked_settings(text, str(LOCAL_SETTINGS_FILE)), str(LOCAL_SETTINGS_FILE)
    return parse_settings(default_settings_text(), "built-in defaults"), "built-in defaults"


def _checked_settings(text: str, origin: str) -> dict[str, Any]:
    """A settings file's values, each text held to the free-text rules (README: Input rules):
    they are printed in the statement and in letters, so no control character and no
    personal identity code gets in through them."""
    settings = parse_settings(text, origin)
    for key, value in _texts(settings, ""):
        checked_text(value, key, max_length=SETTINGS_TEXT_MAX, lines=True)
    return settings


def _texts(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """Every string in the settings, with its key spelt as in the file (`controller.city`)."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _texts(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{key}[{index}]")


def store_settings(conn: sqlite3.Connection, settings: dict[str, Any]) -> None:
    """Write every top-level section; call inside a transaction."""
    for key, value in settings.items():
        if key == RESET_KEY:
            continue  # what the file says about itself, not a setting
        conn.execute(
            "INSERT INTO settings (key, value_json) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json",
            (key, json.dumps(value, ensure_ascii=False, sort_keys=True)),
        )


def all_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {
        row["key"]: json.loads(row["value_json"])
        for row in conn.execute("SELECT key, value_json FROM settings ORDER BY key")
    }


def section(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    """One section of the settings; a missing one falls back to the built-in default."""
    row = conn.execute("SELECT value_json FROM settings WHERE key = ?", (name,)).fetchone()
    if row is not None:
        value = json.loads(row["value_json"])
        if isinstance(value, dict):
            return value
    default = parse_settings(default_settings_text(), "built-in defaults").get(name, {})
    return dict(default) if isinstance(default, dict) else {}
