"""The one place that says what the register does with personal data.

The privacy statement, the record of processing activities (GDPR Art. 30) and the
access reply (Art. 15(1)) all take their information from `art15_information`:
the settings (controller, purposes, texts), the `recipients` table and the
numbers of the [retention] settings. So the three can never disagree, and a
change of a retention period or a new recipient shows in all of them at once.

The returned keys are stable (fields may be added, never removed or renamed):

- language, version_date (ISO, today), statement_date (ISO), register_name, title
- controller: name, contact_person, street, postal_code, city, phone, email, address
- purposes: [{code, purpose, article, legal_basis, legitimate_interest (str | None)}]
- legitimate_interests: [{code, purpose, interest}]  (the purposes under Art. 6(1)(f))
- requirement: is giving the data a statutory or contractual requirement (Art. 13(2)(e))
- categories: [{code, category, columns}]  (every personal column of the schema is covered)
- data_subjects: [str]
- recipients: {policy, summary, entries: [{name, kind, kind_text, purposes, purposes_text,
  country, outside_eea, transfer_basis}]}
- transfers: {policy, summary, outside_eea: [recipient entries outside the EU/EEA]}
- retention: [{code, text}], the last of code `backups` (how long a backup copy lives);
  retention_settings: the numbers the texts were made from
- rights: [{code, article, right, how}]  (access, portability, rectification, erasure,
  restriction, objection, withdraw-consent)
- complaint: {authority, website, postal_address, phone, email, text}
- sources: [{code, source}]
- automated_decisions: text ("none" in words); automated_decisions_exist: False
- consent, cookies, publication, other_rights, dpo, representative: texts
- security: {manual, electronic}
"""

from datetime import date
from typing import Any

from lautex_registry.platform import validation, wording
from lautex_registry.platform.clock import today
from lautex_registry.platform.documents import LANGUAGES, language_for
from lautex_registry.platform.errors import InvalidInput, t
from lautex_registry.platform.settings import RETENTION_YEARS, section
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records.personal_data import COPIES, PERSONAL_TABLES
from lautex_registry.records.recipients import in_eu_eea, normalise_country, purposes_of

_KIND_TEXT = {
    "fi": {
        "processor": "henkilötietojen käsittelijä (toimii yrityksen lukuun)",
        "third-party": "kolmas osapuoli",
        "authority": "viranomainen",
    },
    "sv": {
        "processor": "personuppgiftsbiträde (handlar för företagets räkning)",
        "third-party": "tredje part",
        "authority": "myndighet",
    },
    "en": {
        "processor": "processor (acting on the company's behalf)",
        "third-party": "third party",
        "authority": "public authority",
    },
}

_WORDS = {
    "fi": {
        "no_recipients": "Tietoja ei tällä hetkellä luovuteta kenellekään.",
        "no_transfers": "Tällä hetkellä tietoja ei siirretä EU:n tai ETA:n ulkopuolelle.",
        "transfers": "Tietoja siirretään EU:n tai ETA:n ulkopuolelle seuraaville vastaanottajille:",
        "no_basis": "siirtoperuste puuttuu",
    },
    "sv": {
        "no_recipients": "Uppgifterna lämnas för närvarande inte ut till någon.",
        "no_transfers": "Uppgifterna överförs för närvarande inte utanför EU eller EES.",
        "transfers": "Uppgifterna överförs utanför EU eller EES till dessa mottagare:",
        "no_basis": "grund för överföring saknas",
    },
    "en": {
        "no_recipients": "Data is not currently disclosed to anyone.",
        "no_transfers": "Data is not currently transferred outside the EU or the EEA.",
        "transfers": "Data is transferred outside the EU or the EEA to these recipients:",
        "no_basis": "transfer basis missing",
    },
}


def art15_information(conn: sqlite3.Connection, lang: str) -> dict[str, Any]:
    """Everything the statement, the record of processing and an access reply say. See above."""
    lang = validation.choice(lang, LANGUAGES, "language")
    controller = section(conn, "controller")
    register = section(conn, "register")
    statement = section(conn, "statement")
    authority = section(conn, "supervisory_authority")
    retention_numbers = _retention_numbers(section(conn, "retention"))
    encrypted_backups = bool(section(conn, "backup").get("recipients"))
    purposes = [_purpose(entry, lang, i) for i, entry in enumerate(_list(statement, "purposes"))]
    controller_info = _controller(controller)
    complaint = _complaint(authority, lang)
    fill = _placeholders(controller_info, complaint, retention_numbers, lang)
    recipients = _recipients(conn, lang)

    def text(key: str) -> str:
        return _format(
            _text(statement, key, lang, "[statement]"), fill, f"[statement] {key}_{lang}"
        )

    complaint["text"] = text("complaint")
    outside = [entry for entry in recipients if entry["outside_eea"]]
    words = _WORDS[lang]
    return {
        "language": lang,
        "version_date": today().isoformat(),
        "statement_date": _iso_date(register.get("statement_date"), "[register] statement_date"),
        "register_name": _text(register, "name", lang, "[register]"),
        "title": _text(statement, "title", lang, "[statement]"),
        "controller": controller_info,
        "purposes": purposes,
        "legitimate_interests": [
            {"code": p["code"], "purpose": p["purpose"], "interest": p["legitimate_interest"]}
            for p in purposes
            if p["legitimate_interest"]
        ],
        "requirement": text("requirement"),
        "categories": _categories(statement, lang),
        "data_subjects": _string_list(statement, f"data_subjects_{lang}"),
        "recipients": {
            "policy": text("disclosure_policy"),
            "summary": "" if recipients else words["no_recipients"],
            "entries": recipients,
        },
        "transfers": {
            "policy": text("transfer_policy"),
            "summary": words["transfers"] if outside else words["no_transfers"],
            "outside_eea": outside,
        },
        "retention": [
            {
                "code": str(entry.get("code", "")),
                "text": _format(
                    _text(entry, "text", lang, f"[[statement.retention]] #{i + 1}"),
                    fill,
                    f"[[statement.retention]] #{i + 1} text_{lang}",
                ),
            }
            for i, entry in enumerate(_list(statement, "retention"))
        ]
        + [_backups(retention_numbers["backup_days"], encrypted_backups, lang)],
        "retention_settings": retention_numbers,
        "rights": [
            {
                "code": str(entry.get("code", "")),
                "article": str(entry.get("article", "")),
                "right": _text(entry, "right", lang, f"[[statement.rights]] #{i + 1}"),
                "how": _format(
                    _text(entry, "how", lang, f"[[statement.rights]] #{i + 1}"),
                    fill,
                    f"[[statement.rights]] #{i + 1} how_{lang}",
                ),
            }
            for i, entry in enumerate(_list(statement, "rights"))
        ],
        "complaint": complaint,
        "sources": [
            {
                "code": str(entry.get("code", "")),
                "source": _text(entry, "source", lang, f"[[statement.sources]] #{i + 1}"),
            }
            for i, entry in enumerate(_list(statement, "sources"))
        ],
        "automated_decisions": text("automated_decisions"),
        "automated_decisions_exist": False,
        "consent": text("consent"),
        "cookies": text("cookies"),
        "publication": text("publication"),
        "other_rights": text("other_rights"),
        "dpo": text("dpo"),
        "representative": text("representative"),
        "security": {"manual": text("security_manual"), "electronic": text("security_electronic")},
    }


def right(info: dict[str, Any], code: str) -> dict[str, str]:
    """One right of `info["rights"]` by its code; a missing one is a settings error."""
    for entry in info["rights"]:
        if entry["code"] == code:
            return dict(entry)
    raise InvalidInput(
        t("settings: [[statement.rights]] has no entry with code {code!r}", code=code)
    )


_REFERENCE = {"fi": "pyyntö nro {id}", "sv": "begäran nr {id}", "en": "request no. {id}"}


def request_reference(request_id: int, lang: str) -> str:
    """What a letter about a request is referred to by: the request's number."""
    return _REFERENCE[lang].format(id=request_id)


def document_language(conn: sqlite3.Connection, preferred: str | None) -> str:
    """The language of a document for a person: theirs, when the register's settings have
    its texts (a register set up before Swedish texts existed may lack them), else Finnish."""
    lang = language_for(preferred)
    if lang == "fi":
        return lang
    try:
        art15_information(conn, lang)
    except InvalidInput:
        return "fi"
    return lang


def is_outside_eea(country: str) -> bool:
    """GDPR Chapter V: a recipient outside the EU/EEA receives data only on a transfer basis."""

    try:
        code = normalise_country(country)
    except InvalidInput:
        return True  # an unreadable country is treated as a third country, never as safe
    return not in_eu_eea(code)


# --- reading the settings -------------------------------------------------------------


def _text(entry: dict[str, Any], key: str, lang: str, where: str) -> str:
    value = entry.get(f"{key}_{lang}")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            t("settings: {where} {key}_{lang} is missing or empty", where=where, key=key, lang=lang)
        )
    return value.strip()


def _list(entry: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = entry.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise InvalidInput(t("settings: [[statement.{key}]] is missing or empty", key=key))
    return value


def _string_list(entry: dict[str, Any], key: str) -> list[str]:
    value = entry.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            t("settings: [statement] {key} must be a non-empty list of texts", key=key)
        )
    return [v.strip() for v in value]


def _format(template: str, fill: dict[str, str], where: str) -> str:
    try:
        return template.format_map(fill)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(
            t("settings: {where} has an unknown placeholder {exc}", where=where, exc=exc)
        ) from exc


def _iso_date(value: Any, where: str) -> str:
    """A date of the settings (TOML's own date, or text as dates are typed), in ISO."""
    if isinstance(value, date):
        value = value.isoformat()
    if not isinstance(value, str):
        raise InvalidInput(t("settings: {where} must be a date YYYY-MM-DD", where=where))
    return validation.parse_date(value, f"settings: {where}").isoformat()


def _controller(controller: dict[str, Any]) -> dict[str, str]:
    info = {
        key: str(controller.get(key, "")).strip()
        for key in ("name", "contact_person", "street", "postal_code", "city", "phone", "email")
    }
    for key in ("name", "contact_person", "email"):
        if not info[key]:
            raise InvalidInput(t("settings: [controller] {key} is missing or empty", key=key))
    place = " ".join(part for part in (info["postal_code"], info["city"]) if part)
    info["address"] = ", ".join(part for part in (info["street"], place) if part)
    return info


def _complaint(authority: dict[str, Any], lang: str) -> dict[str, str]:
    # Localised variants (postal_address_en, phone_en) fall back to the plain value.
    def value(key: str) -> str:
        text = authority.get(f"{key}_{lang}") or authority.get(key) or ""
        if not str(text).strip():
            raise InvalidInput(
                t("settings: [supervisory_authority] {key} is missing or empty", key=key)
            )
        return str(text).strip()

    return {
        "authority": _text(authority, "name", lang, "[supervisory_authority]"),
        "website": value("website"),
        "postal_address": value("postal_address"),
        "phone": value("phone"),
        "email": value("email"),
    }


def _purpose(entry: dict[str, Any], lang: str, index: int) -> dict[str, Any]:
    where = f"[[statement.purposes]] #{index + 1}"
    article = str(entry.get("article", "")).strip()
    if not article.startswith("6(1)("):
        raise InvalidInput(
            t("settings: {where} article must be a GDPR Art. 6(1) point, e.g. 6(1)(b)", where=where)
        )
    interest = None
    # GDPR Art. 13(1)(d): a purpose based on legitimate interest states that interest.
    if article == "6(1)(f)":
        interest = _text(entry, "legitimate_interest", lang, where)
    return {
        "code": str(entry.get("code", "")).strip(),
        "purpose": _text(entry, "purpose", lang, where),
        "article": article,
        "legal_basis": _text(entry, "basis", lang, where),
        "legitimate_interest": interest,
    }


def _categories(statement: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The categories of the settings; any personal column they miss is listed on its own,
    so the statement can never leave out what the schema holds."""
    categories: list[dict[str, Any]] = []
    covered: set[str] = set()
    for i, entry in enumerate(_list(statement, "categories")):
        columns = [str(c) for c in entry.get("columns", [])]
        covered.update(columns)
        categories.append(
            {
                "code": str(entry.get("code", "")),
                "category": _text(entry, "category", lang, f"[[statement.categories]] #{i + 1}"),
                "columns": columns,
            }
        )
    for table in PERSONAL_TABLES:
        for column in table.columns:
            name = f"{table.table}.{column}"
            if name in covered:
                continue
            copied = COPIES.get(name)
            holding = [c for c in categories if copied is not None and copied in c["columns"]]
            if holding:
                holding[0]["columns"].append(name)
            else:
                categories.append({"code": name, "category": name, "columns": [name]})
    return categories


def _retention_numbers(retention: dict[str, Any]) -> dict[str, Any]:
    numbers: dict[str, Any] = {}
    for key in RETENTION_YEARS:
        value = retention.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(
                t("settings: [retention] {key} must be a whole number of years", key=key)
            )
        numbers[key] = value
    end = str(retention.get("financial_year_end", "12-31"))
    try:
        date.fromisoformat(f"2000-{end}")
    except ValueError as exc:
        raise InvalidInput(t("settings: [retention] financial_year_end must be MM-DD")) from exc
    numbers["financial_year_end"] = end
    days = retention.get("backup_days", 100)  # the built-in default (holds.RetentionPolicy)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InvalidInput(t("settings: [retention] backup_days must be a whole number of days"))
    numbers["backup_days"] = days
    return numbers


# docs/privacy-statement.md P6: a backup is personal data with its own retention period, and a
# restore does not bring an erased person back. Fixed wording, not a setting: no settings file
# can leave it out.
_BACKUPS = {
    "fi": (
        "Rekisteristä otetaan varmuuskopio joka yö. Varmuuskopiot säilytetään enintään "
        "{days}, minkä jälkeen ne poistetaan automaattisesti; tämä koskee öisiä "
        "varmuuskopioita, ylläpitäjän erikseen ottamia kopioita ja ohjelmistopäivitystä "
        "edeltävää kopiota.{encrypted} Jos rekisteri "
        "palautetaan varmuuskopiosta, jokainen varmuuskopion ottamisen jälkeen poistettu tai "
        "anonymisoitu henkilö poistetaan tai anonymisoidaan uudelleen ennen kuin rekisteriä "
        "käytetään."
    ),
    "sv": (
        "Registret säkerhetskopieras varje natt. Säkerhetskopiorna sparas högst {days} och "
        "raderas sedan automatiskt: de nattliga kopiorna, kopior som en administratör tar för "
        "hand och kopian som tas före en programuppdatering.{encrypted} Om en säkerhetskopia "
        "återställs raderas eller anonymiseras var och en som raderats eller anonymiserats "
        "efter att kopian togs på nytt innan registret används."
    ),
    "en": (
        "The register is backed up every night. Backups are kept at most {days} and are then "
        "deleted automatically: the nightly copies, copies an administrator makes by hand and "
        "the copy made before a software update.{encrypted} If a backup is restored, everyone "
        "erased or anonymised after it was taken is erased or anonymised again before the "
        "register is used."
    ),
}
# Only the nightly copies are encrypted: a copy by hand or before an update is a plain file.
_ENCRYPTED = {
    "fi": " Öiset varmuuskopiot salataan, eikä salausavain ole rekisterin kanssa samalla "
    "koneella; erikseen tai ennen päivitystä otettuja kopioita ei salata, ja vain ylläpitäjät "
    "voivat lukea ne.",
    "sv": " De nattliga säkerhetskopiorna krypteras, och nyckeln förvaras inte på registrets "
    "dator; kopior som tas för hand eller före en uppdatering krypteras inte, och bara "
    "administratörerna kan läsa dem.",
    "en": " The nightly backups are encrypted, and the key is not kept on the register's "
    "machine; copies made by hand or before an update are not encrypted, and only the "
    "administrators can read them.",
}


def _days(days: int, lang: str) -> str:
    if lang == "fi":
        return "1 päivän" if days == 1 else f"{days} päivää"
    if lang == "sv":
        return "1 dag" if days == 1 else f"{days} dagar"
    return "1 day" if days == 1 else f"{days} days"


def _backups(days: int, encrypted: bool, lang: str) -> dict[str, str]:
    extra = _ENCRYPTED[lang] if encrypted else ""
    text = _BACKUPS[lang].format(days=_days(days, lang), encrypted=extra)
    return {"code": "backups", "text": text}


def _period(years: int, lang: str) -> str:
    if lang == "fi":
        return "1 vuoden" if years == 1 else f"{years} vuotta"
    if lang == "sv":
        return f"{years} år"
    return "1 year" if years == 1 else f"{years} years"


def _placeholders(
    controller: dict[str, str], complaint: dict[str, str], numbers: dict[str, Any], lang: str
) -> dict[str, str]:
    month, day = (int(part) for part in str(numbers["financial_year_end"]).split("-"))
    fill = {
        "controller": controller["name"],
        "contact_person": controller["contact_person"],
        "contact_address": controller["address"],
        "contact_phone": controller["phone"],
        "contact_email": controller["email"],
        "authority": complaint["authority"],
        "authority_website": complaint["website"],
        "financial_year_end": wording.format_day_month(month, day, lang),
    }
    for key in RETENTION_YEARS:
        stem = key.removesuffix("_years")
        fill[key] = str(numbers[key])
        fill[f"{stem}_period"] = _period(int(numbers[key]), lang)
    fill["backup_days"] = str(numbers["backup_days"])
    fill["backup_period"] = _days(int(numbers["backup_days"]), lang)
    return fill


# --- the recipients registry ----------------------------------------------------------


def _recipients(conn: sqlite3.Connection, lang: str) -> list[dict[str, Any]]:
    """GDPR Art. 15(1)(c), 30(1)(d)-(e): who receives data, where, and on what basis."""
    rows = conn.execute(
        "SELECT name, kind, purposes, country, transfer_basis FROM recipients "
        "ORDER BY finnish(name)"
    ).fetchall()
    entries = []
    for row in rows:
        country = str(row["country"] or "").strip()
        purposes = purposes_of(row)
        entries.append(
            {
                "name": row["name"],
                "kind": row["kind"],
                "kind_text": _KIND_TEXT[lang].get(row["kind"], row["kind"]),
                "purposes": purposes,
                "purposes_text": [wording.code_word("purpose", p, lang) for p in purposes],
                "country": country,
                "outside_eea": is_outside_eea(country),
                "transfer_basis": (row["transfer_basis"] or "").strip() or None,
            }
        )
    return entries
