"""`lautex demo`: a realistic demo register to try every command on.

Finnish names with ä, ö and å, organisations with valid business IDs, 200 customers
from every source, orders, and invoices open, paid and in collection; customers who
have been inactive for more than three years (some still owing, so retention holds
them), data subject requests open, overdue, due soon and closed, objections, a
publication ban, marketing consents, an organisation that prohibited marketing and
a restricted customer.

Everything is written through the same service functions the commands use, so the
demo follows the clerk's rules and has a true audit trail. The register's history is
replayed on the register's business date: each step is done "on the day it happened"
(`on_day`), so a customer's last activity is that of their real orders and the
retention periods run as they would have. The dates are relative to `clock.today()`,
so the demo stays realistic. The data is made up and seeded: every run on the same
day builds the same register (apart from the password, the times of day and the
register's secret).

The build is a list of small steps (`STEPS`); another part of the register adds
its own demo data by appending a step function that takes a `DemoContext`.
"""

import random
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from lautex_registry.platform import audit, sessions
from lautex_registry.platform.clock import business_day, today
from lautex_registry.platform.db import connect, transaction
from lautex_registry.platform.errors import Conflict, InvalidInput, Refused

DEFAULT_DEMO_DB = Path("data") / "demo.db"
DEMO_ADMIN = "demo"
# The row in `meta` that says `lautex demo` built the register: `--force` replaces only such a
# file, never a real register full of people's data (nor a file that is no register).
DEMO_MARKER = "demo_built_on"
ONLY_DEMOS = "--force replaces only a demo register that `lautex demo` built; choose another --db"
SEED = 20261125
CUSTOMERS = 200
YEAR = 365
# The README's examples use orders T-1001, R-77 and T-9 and invoice 2026-0457: the
# demo's numbers are from other ranges, so the examples run on the demo as written.
FIRST_ORDER_NUMBER = 50001  # T-50001, T-50002, ...
FIRST_INVOICE_OF_YEAR = 5001  # 2026-5001, 2026-5002, ...
README_BUSINESS_ID = "1572860-0"  # `lautex org add "Puutalo Oy" --business-id 1572860-0`
# The README's examples name customers 42 and 43: ordinary active customers with an
# email, an address and orders, and no objection, consent, request or restriction of
# their own beyond the requests the examples close (7, 8, 9 are customer 42's).
README_CUSTOMERS = (42, 43)
# A share of customers whose last order is more than 3 years old (settings:
# customer_inactive_years = 3): the retention job has people to anonymise.
LAPSED_SHARE = 0.17

FIRST_NAMES = (
    "Aino", "Eino", "Väinö", "Ilmari", "Helmi", "Sää", "Kyösti", "Annikki", "Jörn", "Åsa",
    "Matti", "Liisa", "Pekka", "Sanna", "Jyrki", "Tuulikki", "Onni", "Elsa", "Björn", "Märta",
    "Päivi", "Jääskö", "Leena", "Mikko", "Kalle", "Siiri", "Göran", "Pirjo", "Ville", "Hilkka",
)  # fmt: skip
LAST_NAMES = (
    "Äijälä", "Öhman", "Åström", "Mäkinen", "Hämäläinen", "Määttä", "Kärkkäinen", "Pöllänen",
    "Virtanen", "Nieminen", "Lähteenmäki", "Jääskeläinen", "Söderström", "Björklund", "Löfgren",
    "Koskinen", "Heikkilä", "Järvinen", "Lindqvist", "Ylönen", "Rönkkö", "Kähkönen", "Ström",
    "Väisänen", "Pääkkönen", "O'Brien", "Räsänen", "Törmä", "Åberg", "Kivelä",
)  # fmt: skip
# Not "Puutalo Oy": the README's first example adds it.
ORGANISATIONS = (
    "Kotipuu Oy", "Rakennus Äijälä Ky", "Sähkö-Öhman Oy", "Åbo Trä Ab", "Mökkirakentajat Oy",
    "Kylmäasennus Pöllänen", "Lähiö-Remontti Oy", "Saaristo Bygg Ab", "Pohjolan Kattotyö Oy",
    "Kärkkäinen & Pojat Oy", "Järvenpään Lautakauppa Oy", "Västra Snickeri Ab",
)  # fmt: skip
CITIES = (
    ("00100", "Helsinki"), ("02100", "Espoo"), ("20100", "Turku"), ("33100", "Tampere"),
    ("40100", "Jyväskylä"), ("65100", "Vaasa"), ("90100", "Oulu"), ("96100", "Rovaniemi"),
    ("22100", "Maarianhamina"), ("15100", "Lahti"), ("80100", "Joensuu"), ("70100", "Kuopio"),
)  # fmt: skip
STREETS = ("Koivukuja", "Mäntytie", "Rantatie", "Sääksentie", "Pähkinäpolku", "Kuusikallio")
PRODUCTS = (
    ("Koivulauta 2 m", "12.50"), ("Mäntylauta 3 m", "9.90"), ("Terassilauta 4,2 m", "18.40"),
    ("Ruuvit 100 kpl", "4.90"), ("Liimapuupalkki 6 m", "129.00"), ("Höylähirsi 2,4 m", "22.75"),
    ("Sisustuspaneeli 2,7 m", "6.35"), ("Kattorima 5 m", "7.20"),
)  # fmt: skip
SOURCES = (
    "web-store", "reseller", "registration", "customer-service", "subcontractor", "partner",
)  # fmt: skip
THIRD_PARTY_SOURCES = ("reseller", "subcontractor", "partner")
RESELLERS = ("Rautakauppa Kärkkäinen", "Puuilo Ylöjärvi", "K-Rauta Åbo")
COLLECTION_AGENCY = "Perintä Äijälä Oy"
BILLING_PARTNER = "Laskutuspalvelu Pöllänen Oy"
OUTSIDER = "Raili Rantanen <raili.rantanen@example.net>"  # asks, but is not in the register


def on_day(day: date) -> AbstractContextManager[None]:
    """Do what is inside as the clerk did it on `day`: the business date shows that day.

    Only the business date moves (`clock.business_day`, in this process): the audit
    rows and the demo admin's session keep the real clock.
    """
    return business_day(day)


@dataclass
class DemoCustomer:
    """One made-up customer: when they came, when they ordered, what they gave."""

    fields: dict[str, str | None]
    joined: date
    orders: list[date]
    lapsed: bool  # last activity more than 3 years ago
    id: int = 0

    @property
    def last_activity(self) -> date:
        return max([self.joined, *self.orders])

    @property
    def consumer(self) -> bool:
        """A natural person (no organisation) with an email: consent matters (917/2014)."""
        return self.fields.get("org") is None and self.fields.get("email") is not None


@dataclass
class DemoContext:
    """What each step works with; steps add what later steps need."""

    conn: sqlite3.Connection
    actor: audit.Actor
    rng: random.Random
    today: date
    organisation_ids: list[int] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    customers: dict[int, DemoCustomer] = field(default_factory=dict)
    order_numbers: list[tuple[str, date]] = field(default_factory=list)
    order_customer: dict[str, int] = field(default_factory=dict)
    held_claims: dict[int, str] = field(default_factory=dict)  # customer id -> invoice state
    roles: dict[str, int] = field(default_factory=dict)  # who the demo's stories are about
    consenting: list[int] = field(default_factory=list)  # gave email marketing consent
    counts: dict[str, int] = field(default_factory=dict)

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)


@dataclass(frozen=True)
class DemoRegister:
    path: Path
    username: str
    password: str
    counts: dict[str, int]


def valid_business_id(rng: random.Random) -> str:
    """A random business ID whose check digit is right (docs/rules.md §2: remainder 1 is never
    issued)."""
    while True:
        digits = f"{rng.randrange(10**6, 3 * 10**6):07d}"
        weights = (7, 9, 10, 5, 8, 4, 2)
        remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        business_id = f"{digits}-{0 if remainder == 0 else 11 - remainder}"
        if remainder != 1 and business_id != README_BUSINESS_ID:
            return business_id


def _between(rng: random.Random, first: date, last: date) -> date:
    """A day from `first` to `last`, both included."""
    return first + timedelta(days=rng.randrange(0, max((last - first).days, 0) + 1))


def add_organisations(ctx: DemoContext) -> None:
    from lautex_registry.records.organisations import add_organisation

    with on_day(ctx.days_ago(8 * YEAR + 30)):  # before the first customer came
        for name in ORGANISATIONS:
            business_id = valid_business_id(ctx.rng) if ctx.rng.random() < 0.85 else None
            ctx.organisation_ids.append(add_organisation(ctx.conn, ctx.actor, name, business_id))
    ctx.counts["organisations"] = len(ctx.organisation_ids)


def _ascii(text: str) -> str:
    from lautex_registry.records.customers import fold_for_search

    return "".join(ch for ch in fold_for_search(text) if ch.isalnum())


def _history(ctx: DemoContext) -> tuple[date, list[date], bool]:
    """(joined, order dates, lapsed): most customers ordered within 3 years, some did not."""
    rng = ctx.rng
    if rng.random() < LAPSED_SHARE:
        joined = ctx.days_ago(rng.randrange(4 * YEAR, 8 * YEAR))
        last = ctx.days_ago(3 * YEAR + 30)  # safely past the 3-year period
        orders = [_between(rng, joined, last) for _ in range(rng.choice((1, 1, 2, 3)))]
        return joined, sorted(orders), True
    joined = ctx.days_ago(rng.randrange(10, 6 * YEAR))
    orders = [_between(rng, joined, ctx.today) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
    recent = ctx.days_ago(3 * YEAR - 60)  # safely within the 3-year period
    if max([joined, *orders]) < recent:
        orders.append(_between(rng, recent, ctx.today))
    return joined, sorted(orders), False


def _plan_customer(ctx: DemoContext, number: int) -> DemoCustomer:
    rng = ctx.rng
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    postal_code, city = rng.choice(CITIES)
    fields: dict[str, str | None] = {
        "first_name": first,
        "last_name": last,
        "email": "",  # named after the customer id once the ids are known
        "phone": f"04{rng.choice('0456')} {rng.randrange(10**6, 10**7)}",
        "source": SOURCES[number % len(SOURCES)],  # every source
        "language": rng.choices(("fi", "sv", "en"), (80, 15, 5))[0],
        "org": None,
    }
    if rng.random() < 0.8:
        street = f"{rng.choice(STREETS)} {rng.randrange(1, 60)}"
        fields.update(street=street, postal_code=postal_code, city=city)
    if rng.random() < 0.4:
        fields["org"] = str(rng.choice(ctx.organisation_ids))
    if fields["source"] == "reseller":
        fields["source_detail"] = rng.choice(RESELLERS)
    if rng.random() < 0.1:
        fields["email"] = None  # some people give only a phone number
    joined, orders, lapsed = _history(ctx)
    return DemoCustomer(fields, joined, orders, lapsed)


def _make_ordinary(ctx: DemoContext, person: DemoCustomer) -> None:
    """The README's customers: active, with an email, an address and a recent order."""
    person.fields.update(org=None, email="", street="Koivukuja 7", postal_code="00100")
    person.fields["city"] = "Helsinki"
    person.lapsed = False
    person.orders.append(ctx.days_ago(ctx.rng.randrange(20, 200)))
    person.orders.sort()


def add_customers(ctx: DemoContext) -> None:
    """Each customer is added on the day they came, so last activity is their real one."""
    from lautex_registry.records.customers import add_customer

    planned = [_plan_customer(ctx, number) for number in range(CUSTOMERS)]
    planned.sort(key=lambda person: person.joined)  # ids in the order people came
    for position, person in enumerate(planned, start=1):
        if position in README_CUSTOMERS:
            _make_ordinary(ctx, person)
        if person.fields["email"] is not None:
            first, last = person.fields["first_name"] or "", person.fields["last_name"] or ""
            person.fields["email"] = f"{_ascii(first)}.{_ascii(last)}{position}@example.fi"
        with on_day(person.joined):
            person.id = add_customer(ctx.conn, ctx.actor, person.fields).customer_id
        ctx.customer_ids.append(person.id)
        ctx.customers[person.id] = person
    ctx.counts["customers"] = len(ctx.customer_ids)
    ctx.counts["inactive over 3 years"] = sum(p.lapsed for p in planned)


def add_orders(ctx: DemoContext) -> None:
    from lautex_registry.records.orders import add_order

    rng = ctx.rng
    placed = sorted((day, person.id) for person in ctx.customers.values() for day in person.orders)
    for offset, (day, customer_id) in enumerate(placed):
        number = f"T-{FIRST_ORDER_NUMBER + offset}"
        channel = rng.choice(("web-store", "web-store", "reseller"))
        lines = [
            f"{product};{rng.randrange(1, 20)};{price}"
            for product, price in rng.sample(PRODUCTS, rng.randrange(1, 4))
        ]
        with on_day(day):
            add_order(
                ctx.conn,
                ctx.actor,
                str(customer_id),
                number=number,
                order_date=day.isoformat(),
                channel=channel,
                reseller=rng.choice(RESELLERS) if channel == "reseller" else None,
                lines=lines,
            )
        ctx.order_numbers.append((number, day))
        ctx.order_customer[number] = customer_id
    ctx.counts["orders"] = len(ctx.order_numbers)


def add_recipients(ctx: DemoContext) -> None:
    """The collection agency: a claim may only go to a registered recipient
    (docs/privacy-statement.md P5)."""
    from lautex_registry.records.recipients import add_recipient

    with on_day(ctx.days_ago(8 * YEAR)):
        add_recipient(ctx.conn, ctx.actor, COLLECTION_AGENCY, "third-party", ["collection"], "FI")
    ctx.counts["recipients"] = 1


def _choose_held_claims(ctx: DemoContext) -> None:
    """Some inactive customers still owe: an open invoice or a claim in collection that a
    recent reminder keeps alive (Act 728/2003 ss. 10-11), so retention holds them."""
    lapsed = [person.id for person in ctx.customers.values() if person.lapsed]
    chosen = ctx.rng.sample(lapsed, 5)
    ctx.held_claims.update({cid: "open" for cid in chosen[:3]})
    ctx.held_claims.update({cid: "in-collection" for cid in chosen[3:]})


def _collect(ctx: DemoContext, number: str, due: date) -> None:
    from lautex_registry.records import invoices

    reminded = due + timedelta(days=14)
    with on_day(reminded):
        invoices.remind_invoice(ctx.conn, ctx.actor, number, reminded.isoformat())
    handed_over = reminded + timedelta(days=21)
    with on_day(handed_over):
        invoices.collect_invoice(
            ctx.conn, ctx.actor, number, agency=COLLECTION_AGENCY, on=handed_over.isoformat()
        )


def _remind_recently(ctx: DemoContext, number: str) -> None:
    from lautex_registry.records import invoices

    reminded = ctx.days_ago(ctx.rng.randrange(40, 2 * YEAR))
    with on_day(reminded):
        invoices.remind_invoice(ctx.conn, ctx.actor, number, reminded.isoformat())


def _settle(ctx: DemoContext, number: str, day: date, held: str | None) -> str:
    """What became of the invoice; returns its state."""
    from lautex_registry.records import invoices

    rng = ctx.rng
    due = day + timedelta(days=14)
    if held == "open":
        _remind_recently(ctx, number)
        return "open"
    if held == "in-collection":
        _collect(ctx, number, due)
        _remind_recently(ctx, number)  # the agency's latest reminder
        return "in-collection"
    age = (ctx.today - day).days
    if 60 < age < 2 * YEAR and rng.random() < 0.05:
        _collect(ctx, number, due)
        return "in-collection"
    if age > 45 or (age > 7 and rng.random() < 0.6):
        paid = min(day + timedelta(days=rng.randrange(3, 20)), ctx.today)
        with on_day(paid):
            invoices.pay_invoice(ctx.conn, ctx.actor, number, paid.isoformat())
        return "paid"
    return "open"


def add_invoices(ctx: DemoContext) -> None:
    """Most orders are invoiced; older invoices are mostly paid, some in collection."""
    from lautex_registry.records import invoices

    _choose_held_claims(ctx)
    last_order = {ctx.order_customer[number]: number for number, _day in ctx.order_numbers}
    states = {"open": 0, "paid": 0, "in-collection": 0}
    per_year: dict[int, int] = {}
    for order_number, day in ctx.order_numbers:  # in date order
        customer_id = ctx.order_customer[order_number]
        held = ctx.held_claims.get(customer_id) if last_order[customer_id] == order_number else None
        if held is None and ctx.rng.random() < 0.15:
            continue
        sequence = per_year.get(day.year, FIRST_INVOICE_OF_YEAR)
        per_year[day.year] = sequence + 1
        number = f"{day.year}-{sequence}"
        with on_day(day):
            invoices.add_invoice(
                ctx.conn, ctx.actor, order_number, number=number, issued=day.isoformat(),
                due=(day + timedelta(days=14)).isoformat(),
            )  # fmt: skip
        states[_settle(ctx, number, day, held)] += 1
    ctx.counts.update({f"invoices {state}": n for state, n in states.items()})


def add_disclosures(ctx: DemoContext) -> None:
    """A billing partner and one logged disclosure to it (docs/privacy-statement.md P5), for a
    reseller's
    customer: rectifying that customer's address names both as pending notices
    (docs/privacy-statement.md P10)."""
    from lautex_registry.records.disclosures import record_disclosure
    from lautex_registry.records.recipients import add_recipient

    with on_day(ctx.days_ago(2 * YEAR)):
        partner = add_recipient(
            ctx.conn, ctx.actor, BILLING_PARTNER, "processor", ["billing"], "FI"
        )
    # A billing partner receives the data of someone who was billed: a customer with an
    # invoice, so the access export of this customer shows orders, invoices and a disclosure.
    customer_id = int(
        ctx.conn.execute(
            "SELECT c.id FROM customers c WHERE c.source = 'reseller' AND c.street IS NOT NULL "
            "AND c.last_activity >= ? AND c.id NOT IN (?, ?) AND EXISTS (SELECT 1 FROM orders o "
            "JOIN invoices i ON i.order_id = o.id WHERE o.customer_id = c.id) "
            "ORDER BY c.id LIMIT 1",
            (ctx.days_ago(YEAR).isoformat(), *README_CUSTOMERS),
        ).fetchone()[0]
    )
    with on_day(ctx.days_ago(7)):
        record_disclosure(
            ctx.conn, ctx.actor, customer_id, partner, "billing",
            ["first_name", "last_name", "street", "postal_code", "city", "country", "email"],
            ctx.days_ago(7),
        )  # fmt: skip
    ctx.roles["disclosed"] = customer_id
    ctx.counts["recipients"] = ctx.counts.get("recipients", 0) + 1
    ctx.counts["disclosures"] = int(
        ctx.conn.execute("SELECT COUNT(*) FROM disclosures").fetchone()[0]
    )


# --- who the demo's stories are about ---------------------------------------------------

# Roles among active consumers who gave email consent: each would be on the email list
# but for the reason the role names (`marketing list` says who was left out and why).
CONSENTING_ROLES = (
    "objects-advertising", "objects-advertising-2", "objects-research", "withdrew-objection",
    "publication-ban", "publication-ban-2", "restricted", "objection-request",
    "withdrew-consent", "withdrew-consent-2",
)  # fmt: skip


def cast_roles(ctx: DemoContext) -> None:
    """Pick, once and without overlap, the customers each story below is about."""
    rng = ctx.rng
    taken = {*README_CUSTOMERS, ctx.roles.get("disclosed", 0)}
    people = [ctx.customers[cid] for cid in ctx.customer_ids if cid not in taken]
    active = [p for p in people if not p.lapsed]
    consumers = [p for p in active if p.consumer]
    # 917/2014 sec. 200: about two in five consumers ticked the web store's consent box.
    consenting = rng.sample(consumers, max(len(consumers) * 2 // 5, len(CONSENTING_ROLES)))
    ctx.consenting = sorted(p.id for p in consenting)
    ctx.roles.update(zip(CONSENTING_ROLES, (p.id for p in consenting), strict=False))
    others = [p for p in active if p.id not in ctx.consenting and p.fields["email"]]
    rng.shuffle(others)
    ctx.roles["access-twice"] = others.pop().id
    ctx.roles["access-overdue"] = others.pop().id
    third_party = [p for p in others if p.fields["source"] in THIRD_PARTY_SOURCES]
    ctx.roles["rectified"] = third_party[0].id
    ctx.roles["objects-all"] = next(p.id for p in others if p.fields["org"] is not None)
    # Inactive people with no claim: the retention job may anonymise them, unless a
    # request of theirs is open.
    lapsed = [p for p in people if p.lapsed and p.fields["email"] and p.id not in ctx.held_claims]
    long_ago = ctx.days_ago(4 * YEAR + 90)
    old = next(p for p in lapsed if p.joined < long_ago)
    rest = [p for p in lapsed if p is not old]
    ctx.roles.update({"old-access": old.id, "erasure-soon": rest[0].id})
    ctx.roles["lapsed-objector"] = rest[1].id


# --- objections, the publication ban, consents and the organisation's prohibition ---------


def _object(
    ctx: DemoContext, role: str, purposes: list[str], channel: str, day: date | None = None
) -> date:
    from lautex_registry.records.objections import record_objections

    person = ctx.customers[ctx.roles[role]]
    received = day or _between(ctx.rng, person.joined, ctx.today)
    with on_day(received):
        record_objections(ctx.conn, ctx.actor, person.id, purposes, received, channel)
    return received


def add_marketing_choices(ctx: DemoContext) -> None:
    """Consents, objections (GDPR Art. 21), publication bans (docs/privacy-statement.md P3) and one
    organisation's prohibition: the marketing list and labels leave people out for them."""
    from lautex_registry.records.objections import (
        record_consent,
        set_organisation_prohibition,
        withdraw_objections,
    )

    rng = ctx.rng
    given_on: dict[int, date] = {}
    for customer_id in ctx.consenting:
        person = ctx.customers[customer_id]
        given = _between(rng, person.joined, min(person.joined + timedelta(30), ctx.today))
        given_on[customer_id] = given
        with on_day(given):
            record_consent(
                ctx.conn, ctx.actor, customer_id, "email", "given", given, "web store checkbox"
            )
        if rng.random() < 0.3:
            with on_day(given):
                record_consent(ctx.conn, ctx.actor, customer_id, "sms", "given", given,
                               "web store checkbox")  # fmt: skip
    for role in ("withdrew-consent", "withdrew-consent-2"):
        person = ctx.customers[ctx.roles[role]]
        day = _between(rng, given_on[person.id], ctx.today)
        with on_day(day):
            record_consent(ctx.conn, ctx.actor, person.id, "email", "withdrawn", day,
                           "unsubscribe link in a newsletter")  # fmt: skip
    _object(ctx, "objects-advertising", ["direct-advertising"], "email")
    _object(ctx, "objects-advertising-2", ["direct-advertising"], "customer-service")
    _object(ctx, "objects-research", ["market-research"], "letter")
    _object(ctx, "objects-all", ["all"], "contact-person")
    _object(ctx, "publication-ban", ["publication"], "customer-service")
    _object(ctx, "publication-ban-2", ["publication"], "web")
    lapsed = ctx.customers[ctx.roles["lapsed-objector"]]
    _object(ctx, "lapsed-objector", ["direct-advertising"], "email", lapsed.last_activity)
    person = ctx.customers[ctx.roles["withdrew-objection"]]
    objected = _object(ctx, "withdrew-objection", ["market-research"], "web", person.joined)
    withdrawn = _between(rng, objected, ctx.today)
    with on_day(withdrawn):
        withdraw_objections(ctx.conn, ctx.actor, person.id, ["market-research"], withdrawn,
                            "email")  # fmt: skip
    # An organisation that prohibited marketing to all its contacts.
    contacts = ctx.conn.execute(
        "SELECT organisation_id, COUNT(*) FROM customers WHERE organisation_id IS NOT NULL "
        "AND organisation_id <> (SELECT organisation_id FROM customers WHERE id = ?) "
        "GROUP BY organisation_id ORDER BY COUNT(*) DESC, organisation_id LIMIT 1",
        (ctx.roles["objects-all"],),
    ).fetchone()
    prohibited_on = ctx.days_ago(rng.randrange(30, 2 * YEAR))
    with on_day(prohibited_on):
        set_organisation_prohibition(ctx.conn, ctx.actor, int(contacts[0]), prohibited_on)
    ctx.roles["prohibited-organisation"] = int(contacts[0])
    ctx.counts["consents"] = int(ctx.conn.execute("SELECT COUNT(*) FROM consents").fetchone()[0])


# --- data subject requests -----------------------------------------------------------------


def _request(
    ctx: DemoContext, who: int | str, kind: str, channel: str, days_ago: int,
    note: str | None = None,
) -> tuple[int, date]:  # fmt: skip
    from lautex_registry.rights.requests import add_request

    received = ctx.days_ago(days_ago)
    customer_ref, requester = (str(who), None) if isinstance(who, int) else (None, who)
    with on_day(received):
        request_id = add_request(
            ctx.conn, ctx.actor, kind=kind, channel=channel, customer_ref=customer_ref,
            requester=requester, received=received.isoformat(), note=note,
        )  # fmt: skip
    return request_id, received


def _answer_access(ctx: DemoContext, request_id: int, received: date, days: int) -> None:
    """The copy of the data (GDPR Art. 15(3)), then the request closed, in time."""
    from lautex_registry.rights.access import export_customer
    from lautex_registry.rights.requests import close_request, get_request

    customer_id = int(get_request(ctx.conn, request_id)["customer_id"])
    with on_day(received + timedelta(days=days - 2)):
        export_customer(ctx.conn, ctx.actor, str(customer_id), fmt="json", request_id=request_id)
    with on_day(received + timedelta(days=days)):
        close_request(ctx.conn, ctx.actor, request_id, "completed")


def add_requests(ctx: DemoContext) -> None:
    """Requests closed, overdue, due within a week and later; their ids are the README's:
    7 is customer 42's access request (extend, verify, close, letter, export), 8 and 9
    its erasure requests (close refused, restrict), 10 a second copy (a fee is allowed)."""
    from lautex_registry.records.objections import record_objections
    from lautex_registry.rights.rectification import rectify
    from lautex_registry.rights.requests import close_request
    from lautex_registry.rights.restriction import restrict

    roles, rng = ctx.roles, ctx.rng
    # 1: answered more than 3 years ago: the retention job purges the case and the export.
    first, received = _request(ctx, roles["old-access"], "access", "letter", 4 * YEAR + 45)
    _answer_access(ctx, first, received, 20)
    # 2: answered in time; 10 below is the same person's second copy.
    second, received = _request(ctx, roles["access-twice"], "access", "email", 75)
    _answer_access(ctx, second, received, 12)
    # 3: a phone number corrected at the person's request; the reseller it came from is told.
    third, received = _request(ctx, roles["rectified"], "rectification", "phone", 40)
    with on_day(received + timedelta(days=6)):
        new_phone = f"050 {rng.randrange(10**6, 10**7)}"
        rectify(ctx.conn, ctx.actor, roles["rectified"], {"phone": new_phone},
                "the customer gave a new number", request_id=third)  # fmt: skip
    # 4: open and overdue (one calendar month has passed, GDPR Art. 12(3)).
    _request(ctx, roles["access-overdue"], "access", "letter", 41)
    # 5: due within a week; an inactive customer whom the open request holds from retention.
    _request(ctx, roles["erasure-soon"], "erasure", "email", 26)
    # 6: the person contests their address: restricted while it is checked (Art. 18(1)(a)).
    sixth, received = _request(ctx, roles["restricted"], "rectification", "email", 12,
                               "the street address is wrong")  # fmt: skip
    with on_day(received + timedelta(days=1)):
        restrict(ctx.conn, ctx.actor, roles["restricted"],
                 "the customer contests the address", request_id=sixth)  # fmt: skip
    # 7, 8, 9: customer 42 (the README's examples).
    _request(ctx, 42, "access", "letter", 5)
    _request(ctx, 42, "erasure", "email", 3)
    _request(ctx, 42, "erasure", "email", 1, "the same as request 8")
    _request(ctx, roles["access-twice"], "access", "email", 2)  # 10
    _request(ctx, OUTSIDER, "access", "web", 8)  # 11: not in the register: "no data held"
    # 12: an objection by phone, recorded and closed the next day.
    twelfth, received = _request(ctx, roles["objection-request"], "objection", "phone", 20)
    answered = received + timedelta(days=1)
    with on_day(answered):
        record_objections(ctx.conn, ctx.actor, roles["objection-request"],
                          ["direct-advertising", "market-research"], received,
                          "customer-service", request_id=twelfth)  # fmt: skip
        close_request(ctx.conn, ctx.actor, twelfth, "completed")
    for label, sql in (
        ("objections", "SELECT COUNT(*) FROM objections"),
        ("requests", "SELECT COUNT(*) FROM requests"),
        ("requests open", "SELECT COUNT(*) FROM requests WHERE state = 'open'"),
    ):
        ctx.counts[label] = int(ctx.conn.execute(sql).fetchone()[0])
    ctx.counts["restricted"] = 1


Step = Callable[[DemoContext], None]
STEPS: list[Step] = [add_organisations, add_customers, add_orders, add_recipients, add_invoices]
STEPS.append(add_disclosures)
STEPS += [cast_roles, add_marketing_choices, add_requests]


def is_demo_register(path: Path) -> bool:
    """Whether the file is a lautex register that `lautex demo` built (its marker is in meta).

    The file is only read: opened immutable, so no journal or WAL file appears beside it
    and a file that is no register at all is not touched.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT 1 FROM meta WHERE key = ?", (DEMO_MARKER,)).fetchone()
    except sqlite3.Error:  # not a database, or a database with no meta table
        return False
    finally:
        conn.close()
    return row is not None


def build_demo(path: Path, *, replace: bool = False) -> DemoRegister:
    """Create the demo register at `path`, fill it, and log the demo admin in.

    It is built in a temporary file beside `path` and takes that name only when
    complete: a failed or killed build never leaves a half-built demo under it.
    """
    from lautex_registry.platform.journal import journal_path
    from lautex_registry.platform.output_files import (
        PendingOutput,
        check_kind,
        create_private_folder,
        remove_companion_files,
    )

    if path.is_dir() and not path.is_symlink():
        if replace:
            raise Refused(f"db: {path} is a folder, not a demo register: {ONLY_DEMOS}")
        raise InvalidInput(f"db: {path} is a folder: give the demo register's file name")
    # README "Conventions": a symbolic link (dangling or not) or anything but a regular
    # file at the path is refused, as for every file the tool writes; --force too.
    check_kind(path, "db")
    if path.exists() and path.stat().st_size > 0:
        if not replace:
            raise Conflict(f"{path} already exists: add --force to build the demo anew")
        if not is_demo_register(path):
            raise Refused(f"db: {path} is not a demo register: {ONLY_DEMOS}")
    create_private_folder(path.parent, "db")
    building = PendingOutput(path, force=True, field="db")
    try:
        password, counts = _fill_demo(building.hand_over())
        # The old demo's WAL files, journals and lock must not meet the new register.
        remove_companion_files(path)
        if journal_path(building.temp).exists():
            journal_path(building.temp).rename(journal_path(path))
        building.publish()
    finally:
        building.discard()
    return DemoRegister(path, DEMO_ADMIN, password, counts)


def _fill_demo(path: Path) -> tuple[str, dict[str, int]]:
    """Build the demo register at `path`; returns the demo admin's password and the counts."""
    from lautex_registry.platform.db import checkpoint
    from lautex_registry.platform.identity import register_id
    from lautex_registry.platform.settings import load_settings_file
    from lautex_registry.setup.new_register import create_register

    password = secrets.token_urlsafe(12)
    settings, _origin = load_settings_file(None)
    admin = create_register(
        path,
        admin_username=DEMO_ADMIN,
        admin_full_name="Demo Admin",
        admin_password=password,
        settings=settings,
    )
    conn = connect(path)
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)", (DEMO_MARKER, today().isoformat())
            )
        ctx = DemoContext(conn, admin.actor, random.Random(SEED), today())
        for step in STEPS:
            with transaction(conn):
                step(ctx)
        _user, token = sessions.login(conn, DEMO_ADMIN, password)
        sessions.save_session_token(register_id(conn), token)
        checkpoint(conn)  # everything in the file itself: it is renamed without its WAL
    finally:
        conn.close()
    return password, ctx.counts
