"""The demo's data: the made-up people, organisations, products and orders, as data.

Nothing here writes to a register: the story (`demo.story`) adds what this makes
through the services. Everything is drawn from one seeded `random.Random` in a fixed
order, so the same day gives the same people (docs/rules.md §2 for the business ID
check digit).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from lautex_registry.records.customers import fold_for_search

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
# (name, unit price, unit): pieces unless named; a running-metre product is cut to the
# half metre (a decimal quantity, docs/rules.md §2 "Formats").
PRODUCTS: tuple[tuple[str, ...], ...] = (
    ("Koivulauta 2 m", "12.50"), ("Mäntylauta 3 m", "9.90"), ("Terassilauta 4,2 m", "18.40"),
    ("Ruuvit 100 kpl", "4.90"), ("Liimapuupalkki 6 m", "129.00"), ("Höylähirsi 2,4 m", "22.75"),
    ("Sisustuspaneeli 2,7 m", "6.35"), ("Kattorima 21x45", "1.44", "jm"),
)  # fmt: skip
SOURCES = (
    "web-store", "reseller", "registration", "customer-service", "subcontractor", "partner",
)  # fmt: skip
THIRD_PARTY_SOURCES = ("reseller", "subcontractor", "partner")
RESELLERS = ("Rautakauppa Kärkkäinen", "Puuilo Ylöjärvi", "K-Rauta Åbo")
COLLECTION_AGENCY = "Perintä Äijälä Oy"
BILLING_PARTNER = "Laskutuspalvelu Pöllänen Oy"
OUTSIDER = "Raili Rantanen <raili.rantanen@example.net>"  # asks, but is not in the register
# Who objects to what (GDPR Art. 21), and how the objection came: (role, purposes, channel).
OBJECTIONS = (
    ("objects-advertising", ("direct-advertising",), "email"),
    ("objects-advertising-2", ("direct-advertising",), "phone"),
    ("objects-research", ("market-research",), "letter"),
    ("objects-all", ("all",), "counter"),
    ("publication-ban", ("publication",), "phone"),
    ("publication-ban-2", ("publication",), "web"),
)


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


def between(rng: random.Random, first: date, last: date) -> date:
    """A day from `first` to `last`, both included."""
    return first + timedelta(days=rng.randrange(0, max((last - first).days, 0) + 1))


def made_up_organisations(rng: random.Random) -> list[tuple[str, str | None]]:
    """Each organisation's name and, for most, a valid business ID."""
    return [
        (name, valid_business_id(rng) if rng.random() < 0.85 else None) for name in ORGANISATIONS
    ]


def _ascii(text: str) -> str:
    return "".join(ch for ch in fold_for_search(text) if ch.isalnum())


def _history(rng: random.Random, today: date) -> tuple[date, list[date], bool]:
    """(joined, order dates, lapsed): most customers ordered within 3 years, some did not."""
    if rng.random() < LAPSED_SHARE:
        joined = today - timedelta(days=rng.randrange(4 * YEAR, 8 * YEAR))
        last = today - timedelta(days=3 * YEAR + 30)  # safely past the 3-year period
        orders = [between(rng, joined, last) for _ in range(rng.choice((1, 1, 2, 3)))]
        return joined, sorted(orders), True
    joined = today - timedelta(days=rng.randrange(10, 6 * YEAR))
    orders = [between(rng, joined, today) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
    recent = today - timedelta(days=3 * YEAR - 60)  # safely within the 3-year period
    if max([joined, *orders]) < recent:
        orders.append(between(rng, recent, today))
    return joined, sorted(orders), False


def _made_up_customer(
    rng: random.Random, today: date, organisation_ids: list[int], number: int
) -> DemoCustomer:
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
        fields["org"] = str(rng.choice(organisation_ids))
    if fields["source"] == "reseller":
        fields["source_detail"] = rng.choice(RESELLERS)
    if rng.random() < 0.1:
        fields["email"] = None  # some people give only a phone number
    joined, orders, lapsed = _history(rng, today)
    return DemoCustomer(fields, joined, orders, lapsed)


def _make_ordinary(rng: random.Random, today: date, person: DemoCustomer) -> None:
    """The README's customers: active, with an email, an address and a recent order."""
    person.fields.update(org=None, email="", street="Koivukuja 7", postal_code="00100")
    person.fields["city"] = "Helsinki"
    person.lapsed = False
    person.orders.append(today - timedelta(days=rng.randrange(20, 200)))
    person.orders.sort()


def made_up_customers(
    rng: random.Random, today: date, organisation_ids: list[int]
) -> list[DemoCustomer]:
    """The customers in the order they came (their ids to be), each with an email named
    after that id, and the README's customers (`README_CUSTOMERS`) ordinary ones."""
    people = [_made_up_customer(rng, today, organisation_ids, n) for n in range(CUSTOMERS)]
    people.sort(key=lambda person: person.joined)  # ids in the order people came
    for position, person in enumerate(people, start=1):
        if position in README_CUSTOMERS:
            _make_ordinary(rng, today, person)
        if person.fields["email"] is not None:
            first, last = person.fields["first_name"] or "", person.fields["last_name"] or ""
            person.fields["email"] = f"{_ascii(first)}.{_ascii(last)}{position}@example.fi"
    return people


def made_up_order(rng: random.Random) -> tuple[str, list[str], str | None]:
    """An order's channel, its lines (`product;quantity [unit];price`) and the reseller, if any."""
    channel = rng.choice(("web-store", "web-store", "reseller"))
    lines = []
    for product, price, *unit in rng.sample(PRODUCTS, rng.randrange(1, 4)):
        count = rng.randrange(1, 20)
        quantity = f"{count},5 {unit[0]}" if unit else str(count)
        lines.append(f"{product};{quantity};{price}")
    return channel, lines, rng.choice(RESELLERS) if channel == "reseller" else None
