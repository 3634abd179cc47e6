"""Putting settings in force: only settings the register can work with."""

from dataclasses import dataclass, field
from typing import Any

from lautex_registry.erasure.backup_copies import BackupPolicy
from lautex_registry.erasure.holds import RetentionPolicy
from lautex_registry.platform import audit
from lautex_registry.platform.characters import excerpt
from lautex_registry.platform.db import transaction
from lautex_registry.platform.documents import LANGUAGES
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.settings import (
    RESET_KEY,
    all_settings,
    default_settings_text,
    parse_settings,
    store_settings,
)
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.statement.privacy_statement import render_statement
from lautex_registry.statement.processing_record import render_processing_record


def check_settings_in_force(conn: sqlite3.Connection) -> None:
    """Refuse settings the register cannot work with: call inside the transaction that stored them.

    The retention policy must respect the legal floors, the backup policy must parse, and the
    statement and the record of processing must render in every language with no empty heading
    (docs/privacy-statement.md P12).
    """
    RetentionPolicy.of(conn)
    BackupPolicy.of(conn)  # the rotation fits in [retention] backup_days; recipients parse
    for lang in LANGUAGES:
        render_statement(conn, lang, "md")
        render_processing_record(conn, lang, "md")


@dataclass(frozen=True)
class SettingsToLoad:
    """A settings file made whole: its own sections, and the ones it resets to the defaults."""

    settings: dict[str, Any]
    reset: list[str]
    # Sections newer than the file (it was written before they existed): the defaults.
    added: list[str] = field(default_factory=list)


# Sections that came after the first settings files were written (`backup`, with the backup
# policy): a file without one is a file from before, not a file that drops it, so it takes
# the built-in default and the command says so (docs/rules.md §2, Retention).
NEWER_SECTIONS = ("backup",)


def settings_to_load(settings: dict[str, Any], origin: str) -> SettingsToLoad:
    """Refuse a file that would silently drop sections: loading replaces every section, so
    an empty or partial file must say `reset_to_defaults = true` to reset the rest."""
    own = {key: value for key, value in settings.items() if key != RESET_KEY}
    reset = settings.get(RESET_KEY, False)
    if not isinstance(reset, bool):
        raise InvalidInput(
            t(
                "{reset_key}: true or false, not {reset}",
                reset_key=RESET_KEY,
                reset=excerpt(str(reset)),
            )
        )
    defaults = parse_settings(default_settings_text(), "built-in defaults")
    added = [name for name in NEWER_SECTIONS if name in defaults and name not in own]
    empty = not own
    if added and not reset and not empty:
        own = {**own, **{name: defaults[name] for name in added}}
    else:
        added = []
    missing = [name for name in defaults if name not in own]
    if missing and not reset:
        if empty:
            raise InvalidInput(
                t(
                    "settings: {origin} is empty: loading replaces every section, so name "
                    "them all, or put `{reset_key} = true` at the top to reset the missing "
                    "ones to the built-in defaults",
                    origin=origin,
                    reset_key=RESET_KEY,
                )
            )
        raise InvalidInput(
            t(
                "settings: {origin} does not name {missing}: loading replaces every section, "
                "so name them all, or put `{reset_key} = true` at the top to reset the "
                "missing ones to the built-in defaults",
                origin=origin,
                missing=", ".join(missing),
                reset_key=RESET_KEY,
            )
        )
    return SettingsToLoad({**own, **{name: defaults[name] for name in missing}}, missing, added)


def replace_settings(
    conn: sqlite3.Connection, actor: audit.Actor, loaded: SettingsToLoad
) -> list[str]:
    """Put a whole settings file in force with its audit row; call inside a transaction (checked).

    Returns the sections.
    """
    conn.execute("DELETE FROM settings")
    store_settings(conn, loaded.settings)
    check_settings_in_force(conn)
    sections = sorted(loaded.settings)
    details: dict[str, Any] = {"sections": sections, "reset_to_defaults": sorted(loaded.reset)}
    if loaded.added:
        details["defaults_added"] = sorted(loaded.added)
    audit.record(conn, actor, "settings load", "settings", None, details)
    return sections


class _TakeBack(Exception):
    """Ends a rehearsal transaction: everything in it is rolled back."""


def settings_load_plan(
    conn: sqlite3.Connection, actor: audit.Actor, loaded: SettingsToLoad
) -> dict[str, Any]:
    """What `settings load` would change, checked exactly as loading checks it, then taken
    back: loading replaces the settings in force, which no command restores, so the command
    shows this and asks first (docs/rules.md §6). Takes the write lock for the rehearsal."""
    in_force = all_settings(conn)
    changed = sorted(name for name, value in loaded.settings.items() if in_force.get(name) != value)
    try:
        with transaction(conn):
            replace_settings(conn, actor, loaded)
            raise _TakeBack
    except _TakeBack:
        pass
    return {
        "changed": changed,
        "unchanged": sorted(name for name in loaded.settings if name not in changed),
        "reset_to_defaults": sorted(loaded.reset),
        "dropped": sorted(name for name in in_force if name not in loaded.settings),
    }
