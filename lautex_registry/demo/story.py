"""The demo's story: the steps that build the demo register through the services.

Everything is written through the same service functions the commands use, so the
demo follows the clerk's rules and has a true audit trail. The register's history is
replayed on the register's business date: each step is done "on the day it happened"
(`on_day`), so a customer's last activity is that of their real orders and the
retention periods run as they would have. The dates are relative to `clock.today()`,
so the demo stays realistic. Who and what the story is about is `demo.data`'s.

The build is a list of small steps (`STEPS`); another part of the register adds
its own demo data by appending a step function that takes a `DemoContext`.
"""

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta

from lautex_registry.demo.data import (
    BILLING_PARTNER,
    COLLECTION_AGENCY,
    FIRST_INVOICE_OF_YEAR,
    FIRST_ORDER_NUMBER,
    OBJECTIONS,
    OUTSIDER,
    README_CUSTOMERS,
    THIRD_PARTY_SOURCES,
    YEAR,
    DemoCustomer,
    between,
    made_up_customers,
    made_up_order,
    made_up_organisations,
)
from lautex_registry.platform import audit
from lautex_registry.platform.clock import business_day
from lautex_registry.platform.sqlite import sqlite3
from lautex_registry.records import invoices
from lautex_registry.records.customers import add_customer
from lautex_registry.records.disclosures import record_disclosure
from lautex_registry.records.objections import (
    record_consent,
    record_objections,
    set_organisation_prohibition,
)
from lautex_registry.records.orders import add_order
from lautex_registry.records.organisations import add_organisation
from lautex_registry.records.recipients import add_recipient
from lautex_registry.rights.access import export_customer
from lautex_registry.rights.rectification import rectify
from lautex_registry.rights.requests import add_request, close_request, get_request
from lautex_registry.rights.restriction import restrict


def on_day(day: date) -> AbstractContextManager[None]:
    """Do what is inside as the clerk did it on `day`: the business date shows that day.

    Only the business date moves (`clock.business_day`, in this process): the audit
    rows and the demo admin's session keep the real clock.
    """
    return business_day(day)


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


def add_organisations(ctx: DemoContext) -> None:
    with on_day(ctx.days_ago(8 * YEAR + 30)):  # before the first customer came
        for name, business_id in made_up_organisations(ctx.rng):
            ctx.organisation_ids.append(add_organisation(ctx.conn, ctx.actor, name, business_id))
    ctx.counts["organisations"] = len(ctx.organisation_ids)


def add_customers(ctx: DemoContext) -> None:
    """Each customer is added on the day they came, so last activity is their real one."""
    planned = made_up_customers(ctx.rng, ctx.today, ctx.organisation_ids)
    for person in planned:
        with on_day(person.joined):
            person.id = add_customer(ctx.conn, ctx.actor, person.fields).customer_id
        ctx.customer_ids.append(person.id)
        ctx.customers[person.id] = person
    ctx.counts["customers"] = len(ctx.customer_ids)
    ctx.counts["inactive over 3 years"] = sum(p.lapsed for p in planned)


def add_orders(ctx: DemoContext) -> None:
    placed = sorted((day, person.id) for person in ctx.customers.values() for day in person.orders)
    for offset, (day, customer_id) in enumerate(placed):
        number = f"T-{FIRST_ORDER_NUMBER + offset}"
        channel, lines, reseller = made_up_order(ctx.rng)
        with on_day(day):
            add_order(
                ctx.conn,
                ctx.actor,
                str(customer_id),
                number=number,
                order_date=day.isoformat(),
                channel=channel,
                reseller=reseller,
                lines=lines,
            )
        ctx.order_numbers.append((number, day))
        ctx.order_customer[number] = customer_id
    ctx.counts["orders"] = len(ctx.order_numbers)


def add_recipients(ctx: DemoContext) -> None:
    """The collection agency: a claim may only go to a registered recipient
    (docs/privacy-statement.md P5)."""
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

    reminded = due + timedelta(days=14)
    with on_day(reminded):
        invoices.remind_invoice(ctx.conn, ctx.actor, number, reminded.isoformat())
    handed_over = reminded + timedelta(days=21)
    with on_day(handed_over):
        invoices.collect_invoice(
            ctx.conn, ctx.actor, number, agency=COLLECTION_AGENCY, on=handed_over.isoformat()
        )


def _remind_recently(ctx: DemoContext, number: str) -> None:

    reminded = ctx.days_ago(ctx.rng.randrange(40, 2 * YEAR))
    with on_day(reminded):
        invoices.remind_invoice(ctx.conn, ctx.actor, number, reminded.isoformat())


def _settle(ctx: DemoContext, number: str, day: date, held: str | None) -> str:
    """What became of the invoice; returns its state."""
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
    reseller's customer: rectifying that customer's address names both as pending notices
    (docs/privacy-statement.md P10)."""
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

    person = ctx.customers[ctx.roles[role]]
    received = day or between(ctx.rng, person.joined, ctx.today)
    with on_day(received):
        record_objections(ctx.conn, ctx.actor, person.id, purposes, received, channel)
    return received


def add_marketing_choices(ctx: DemoContext) -> None:
    """Consents, objections (GDPR Art. 21), publication bans (docs/privacy-statement.md P3) and one
    organisation's prohibition: the marketing list and labels leave people out for them."""
    rng = ctx.rng
    given_on: dict[int, date] = {}
    for customer_id in ctx.consenting:
        person = ctx.customers[customer_id]
        given = between(rng, person.joined, min(person.joined + timedelta(30), ctx.today))
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
        day = between(rng, given_on[person.id], ctx.today)
        with on_day(day):
            record_consent(ctx.conn, ctx.actor, person.id, "email", "withdrawn", day,
                           "unsubscribe link in a newsletter")  # fmt: skip
    for role, purposes, channel in OBJECTIONS:
        _object(ctx, role, list(purposes), channel)
    lapsed = ctx.customers[ctx.roles["lapsed-objector"]]
    _object(ctx, "lapsed-objector", ["direct-advertising"], "email", lapsed.last_activity)
    person = ctx.customers[ctx.roles["withdrew-objection"]]
    objected = _object(ctx, "withdrew-objection", ["market-research"], "web", person.joined)
    withdrawn = between(rng, objected, ctx.today)
    with on_day(withdrawn):
        record_objections(ctx.conn, ctx.actor, person.id, ["market-research"], withdrawn,
                          "email", withdraw=True)  # fmt: skip
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
    customer_id = int(get_request(ctx.conn, request_id)["customer_id"])
    with on_day(received + timedelta(days=days - 2)):
        export_customer(ctx.conn, ctx.actor, str(customer_id), fmt="json", request_id=request_id)
    with on_day(received + timedelta(days=days)):
        close_request(ctx.conn, ctx.actor, request_id, "completed")


def add_requests(ctx: DemoContext) -> None:
    """Requests closed, overdue, due within a week and later; their ids are the README's:
    7 is customer 42's access request (extend, verify, close, letter, export), 8 and 9
    its erasure requests (close refused, restrict), 10 a second copy (a fee is allowed)."""

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
                          "phone", request_id=twelfth)  # fmt: skip
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
