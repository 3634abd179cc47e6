"""`lautex demo`: a realistic demo register to try the tool on.

Finnish names with ä, ö and å, organisations with valid business IDs, about 200
customers from every source, orders, and invoices open, paid and in collection.
Everything is written through the same service functions the commands use, so the
demo also has a true audit trail. The data is made up and seeded: every run builds
the same register (apart from the password, timestamps and the register's secret).

The build is a list of small steps (`STEPS`); another part of the register adds
its own demo data by appending a step function that takes a `DemoContext`.
"""

import random
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from lautex_registry import audit, auth
from lautex_registry.clock import today
from lautex_registry.db import connect, transaction
from lautex_registry.errors import Conflict, InvalidInput

DEFAULT_DEMO_DB = Path("data") / "demo.db"
DEMO_ADMIN = "demo"
SEED = 20261125
CUSTOMERS = 200

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
ORGANISATIONS = (
    "Puutalo Oy", "Rakennus Äijälä Ky", "Sähkö-Öhman Oy", "Åbo Trä Ab", "Mökkirakentajat Oy",
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
RESELLERS = ("Rautakauppa Kärkkäinen", "Puuilo Ylöjärvi", "K-Rauta Åbo")
COLLECTION_AGENCY = "Perintä Äijälä Oy"


@dataclass
class DemoContext:
    """What each step works with; steps add what later steps need."""

    conn: sqlite3.Connection
    actor: audit.Actor
    rng: random.Random
    today: date
    organisation_ids: list[int] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    order_numbers: list[tuple[str, date]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoRegister:
    path: Path
    username: str
    password: str
    counts: dict[str, int]


def valid_business_id(rng: random.Random) -> str:
    """A random business ID whose check digit is right (DESIGN §2: remainder 1 is never issued)."""
    while True:
        digits = f"{rng.randrange(10**6, 3 * 10**6):07d}"
        weights = (7, 9, 10, 5, 8, 4, 2)
        remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 1:
            return f"{digits}-{0 if remainder == 0 else 11 - remainder}"


def add_organisations(ctx: DemoContext) -> None:
    from lautex_registry.organisations import add_organisation

    for name in ORGANISATIONS:
        business_id = valid_business_id(ctx.rng) if ctx.rng.random() < 0.85 else None
        ctx.organisation_ids.append(add_organisation(ctx.conn, ctx.actor, name, business_id))
    ctx.counts["organisations"] = len(ctx.organisation_ids)


def _ascii(text: str) -> str:
    from lautex_registry.customers import fold_for_search

    return "".join(ch for ch in fold_for_search(text) if ch.isalnum())


def add_customers(ctx: DemoContext) -> None:
    from lautex_registry.customers import add_customer

    rng = ctx.rng
    for number in range(CUSTOMERS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        postal_code, city = rng.choice(CITIES)
        fields: dict[str, str | None] = {
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}{number}@example.fi",
            "phone": f"04{rng.choice('0456')} {rng.randrange(10**6, 10**7)}",
            "source": SOURCES[number % len(SOURCES)],  # every source
            "language": rng.choices(("fi", "sv", "en"), (80, 15, 5))[0],
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
        ctx.customer_ids.append(add_customer(ctx.conn, ctx.actor, fields))
    ctx.counts["customers"] = len(ctx.customer_ids)


def add_orders(ctx: DemoContext) -> None:
    from lautex_registry.orders import add_order

    rng = ctx.rng
    number = 1000
    for customer_id in ctx.customer_ids:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            number += 1
            day = ctx.today - timedelta(days=rng.randrange(0, 3 * 365))
            channel = rng.choice(("web-store", "web-store", "reseller"))
            lines = [
                f"{product};{rng.randrange(1, 20)};{price}"
                for product, price in rng.sample(PRODUCTS, rng.randrange(1, 4))
            ]
            add_order(
                ctx.conn,
                ctx.actor,
                str(customer_id),
                number=f"T-{number}",
                order_date=day.isoformat(),
                channel=channel,
                reseller=rng.choice(RESELLERS) if channel == "reseller" else None,
                lines=lines,
            )
            ctx.order_numbers.append((f"T-{number}", day))
    ctx.counts["orders"] = len(ctx.order_numbers)


def add_recipients(ctx: DemoContext) -> None:
    """The collection agency: a claim may only go to a registered recipient (statement P5)."""
    from lautex_registry.recipients import add_recipient

    add_recipient(ctx.conn, ctx.actor, COLLECTION_AGENCY, "third-party", ["collection"], "FI")
    ctx.counts["recipients"] = 1


def add_invoices(ctx: DemoContext) -> None:
    """Most orders are invoiced; older invoices are mostly paid, some in collection."""
    from lautex_registry import invoices

    rng = ctx.rng
    states = {"open": 0, "paid": 0, "in-collection": 0}
    for position, (order_number, day) in enumerate(sorted(ctx.order_numbers, key=lambda o: o[1])):
        if rng.random() < 0.15:
            continue
        invoice_number = f"{day.year}-{position + 1:04d}"
        due = day + timedelta(days=14)
        invoices.add_invoice(
            ctx.conn, ctx.actor, order_number, number=invoice_number,
            issued=day.isoformat(), due=due.isoformat(),
        )  # fmt: skip
        age = (ctx.today - day).days
        if age > 60 and rng.random() < 0.08:
            reminded = due + timedelta(days=14)
            invoices.remind_invoice(ctx.conn, ctx.actor, invoice_number, reminded.isoformat())
            invoices.collect_invoice(
                ctx.conn, ctx.actor, invoice_number, agency=COLLECTION_AGENCY,
                on=(reminded + timedelta(days=21)).isoformat(),
            )  # fmt: skip
            states["in-collection"] += 1
        elif age > 20 or (age > 3 and rng.random() < 0.5):
            paid = min(day + timedelta(days=rng.randrange(3, 20)), ctx.today)
            invoices.pay_invoice(ctx.conn, ctx.actor, invoice_number, paid.isoformat())
            states["paid"] += 1
        else:
            states["open"] += 1
    ctx.counts.update({f"invoices {state}": n for state, n in states.items()})


BILLING_PARTNER = "Laskutuspalvelu Pöllänen Oy"


def add_disclosures(ctx: DemoContext) -> None:
    """A billing partner and one logged disclosure to it (statement P5), for a reseller's
    customer: rectifying that customer's address names both as pending notices (P10)."""
    from lautex_registry.disclosures import record_disclosure
    from lautex_registry.recipients import add_recipient

    partner = add_recipient(ctx.conn, ctx.actor, BILLING_PARTNER, "processor", ["billing"], "FI")
    # A billing partner receives the data of someone who was billed: a customer with an
    # invoice, so the access export of this customer shows orders, invoices and a disclosure.
    customer_id = int(
        ctx.conn.execute(
            "SELECT c.id FROM customers c WHERE c.source = 'reseller' AND c.street IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM orders o JOIN invoices i ON i.order_id = o.id "
            "WHERE o.customer_id = c.id) ORDER BY c.id LIMIT 1"
        ).fetchone()[0]
    )
    record_disclosure(
        ctx.conn, ctx.actor, customer_id, partner, "billing",
        ["first_name", "last_name", "street", "postal_code", "city", "country", "email"],
        ctx.today - timedelta(days=7),
    )  # fmt: skip
    ctx.counts["recipients"] = ctx.counts.get("recipients", 0) + 1
    ctx.counts["disclosures"] = int(
        ctx.conn.execute("SELECT COUNT(*) FROM disclosures").fetchone()[0]
    )


Step = Callable[[DemoContext], None]
STEPS: list[Step] = [add_organisations, add_customers, add_orders, add_recipients, add_invoices]
STEPS.append(add_disclosures)


def build_demo(path: Path, *, replace: bool = False) -> DemoRegister:
    """Create the demo register at `path`, fill it, and log the demo admin in."""
    from lautex_registry.register import create_register, register_id
    from lautex_registry.settings import load_settings_file

    if path.is_dir():
        raise InvalidInput(f"db: {path} is a folder: give the demo register's file name")
    if path.exists() and path.stat().st_size > 0:
        if not replace:
            raise Conflict(f"{path} already exists: add --force to build the demo anew")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
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
        ctx = DemoContext(conn, admin.actor, random.Random(SEED), today())
        for step in STEPS:
            with transaction(conn):
                step(ctx)
        _user, token = auth.login(conn, DEMO_ADMIN, password)
        auth.save_session_token(register_id(conn), token)
    except BaseException:
        conn.close()
        for suffix in ("", "-wal", "-shm"):  # no half-built demo is left behind
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    conn.close()
    return DemoRegister(path, DEMO_ADMIN, password, ctx.counts)
