"""Who may do what: one table, enforced in one place (cli/context.py), documented in the README.

Keys are command paths without the program name ("customer add"). The privacy
statement (docs/privacy-statement.md P7): only designated employees, each with a personal account,
use the
register. admin may do everything; clerk does the register work; auditor reads
and checks the audit trail; system runs the jobs with a service token.
"""

from typing import Final

ADMIN: Final = "admin"
CLERK: Final = "clerk"
AUDITOR: Final = "auditor"
SYSTEM: Final = "system"
ROLES: Final = (ADMIN, CLERK, AUDITOR, SYSTEM)

_ANY = frozenset({ADMIN, CLERK, AUDITOR, SYSTEM})
_STAFF = frozenset({ADMIN, CLERK})
_READERS = frozenset({ADMIN, CLERK, AUDITOR})
_ADMIN_ONLY = frozenset({ADMIN})

# Forms of a command that need other rights than the command itself: the command checks
# the form's entry (cli/commands/backup.py). Each maps to the command it is a form of.
FORMS: Final = {"backup PATH": "backup", "backup --to": "backup"}

# Commands that need no login: they create a register or a session, or never open the
# register (config says which file lautex would open; completion prints a shell script).
UNAUTHENTICATED: Final = frozenset({"init", "login", "demo", "config", "completion"})

PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    # platform
    "whoami": _ANY,
    "logout": _ANY,
    # Every command in it is checked as the command itself (cli/commands/shell.py).
    "shell": _ANY,
    "migrate": _ADMIN_ONLY,
    # The nightly copy and its off-site copy run from cron with a system account's token
    # (README: Backups); a plain one-off copy anywhere, or checking one, is the admin's.
    "backup": frozenset({ADMIN, SYSTEM}),
    "backup --to": frozenset({ADMIN, SYSTEM}),
    "backup PATH": _ADMIN_ONLY,
    "backup list": frozenset({ADMIN, AUDITOR, SYSTEM}),
    "backup verify": _ADMIN_ONLY,
    "restore": _ADMIN_ONLY,
    "user add": _ADMIN_ONLY,
    "user list": _ADMIN_ONLY | {AUDITOR},
    "user passwd": frozenset({ADMIN, CLERK, AUDITOR}),
    "user disable": _ADMIN_ONLY,
    "user enable": _ADMIN_ONLY,
    "user token": _ADMIN_ONLY,
    "user revoke-token": _ADMIN_ONLY,
    "audit list": frozenset({ADMIN, AUDITOR}),
    "audit verify": frozenset({ADMIN, AUDITOR, SYSTEM}),
    "settings show": _READERS,
    "settings load": _ADMIN_ONLY,
    "status": _ANY,
    # the register
    "customer add": _STAFF,
    "customer edit": _STAFF,
    "customer show": _READERS,
    "customer list": _READERS,
    "customer search": _READERS,
    "customer import": _STAFF,
    "org add": _STAFF,
    "org edit": _STAFF,
    "org list": _READERS,
    "org show": _READERS,
    "org prohibit-marketing": _STAFF,
    "order add": _STAFF,
    "order list": _READERS,
    "order show": _READERS,
    "invoice add": _STAFF,
    "invoice pay": _STAFF,
    "invoice remind": _STAFF,
    "invoice collect": _STAFF,
    "invoice write-off": _STAFF,
    # system: a nightly job lists overdue invoices (README "Cron").
    "invoice list": _READERS | {SYSTEM},
    # data subject requests
    "request add": _STAFF,
    "request extend": _STAFF,
    "request verify": _STAFF,
    "request list": _ANY,
    "request show": _READERS,
    "request close": _STAFF,
    "request letter": _STAFF,
    "request certificate": _STAFF,
    "export": _STAFF,
    # rectification, restriction, disclosures
    "recipient add": _ADMIN_ONLY,
    "recipient list": _READERS,
    "disclose": _STAFF,
    "rectify": _STAFF,
    "notice list": _READERS,
    "notice sent": _STAFF,
    "restrict": _STAFF,
    "unrestrict": _STAFF,
    # marketing
    "object": _STAFF,
    "publication-ban": _STAFF,
    "consent": _STAFF,
    "marketing list": _STAFF,
    "labels": _STAFF,
    # erasure and retention
    "erase": _STAFF,
    "anonymise": _STAFF,
    "retention show": _ANY,
    "retention run": frozenset({ADMIN, SYSTEM}),
    # documents generated from the settings
    "statement": _READERS,
    "processing-record": _READERS,
}


def allowed(role: str, action: str) -> bool:
    """True when `role` may run the command `action`; unknown commands are refused."""
    roles = PERMISSIONS.get(action)
    return roles is not None and role in roles


def permissions_markdown() -> str:
    """The permission table as the README shows it (a test keeps the two equal)."""
    lines = ["| command | " + " | ".join(ROLES) + " |", "|---|" + "---|" * len(ROLES)]
    for action in sorted(PERMISSIONS):
        marks = " | ".join("yes" if role in PERMISSIONS[action] else "" for role in ROLES)
        lines.append(f"| `{action}` | {marks} |")
    return "\n".join(lines)
