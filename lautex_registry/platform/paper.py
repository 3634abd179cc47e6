"""Documents on paper: an A4 PDF with a letterhead, the address in the envelope's window,
the date, the reference, page numbers and a signature line (docs/rules.md §2 "Letters on
paper").

The body is the document's own Markdown, read by the one Markdown parser
(`documents.body_blocks`: prose as HTML, tables row by row) and set page by page as it
arrives (`pdf_layout.py`), written by our own streaming PDF writer (`pdf_writer.py`). The
font is DejaVu Sans, shipped in `lautex_registry/fonts/` with its licence, so every name
prints as written (Å, Ø, ß, Č); no letter is transliterated.
"""

from dataclasses import dataclass, field
from importlib import resources

from lautex_registry.platform.escaping import printable

FONT = "DejaVu"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
# A4, and the address field of a window envelope (C5 and DL, window on the left): 20 mm
# from the left edge, 45 mm from the top, 85 x 45 mm (docs/rules.md §2 "Letters on paper").
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
LEFT, RIGHT = 20.0, 20.0
WINDOW_X, WINDOW_Y, WINDOW_WIDTH, WINDOW_HEIGHT = 20.0, 45.0, 85.0, 45.0
BODY_TOP_FIRST = WINDOW_Y + WINDOW_HEIGHT + 5.0
BODY_TOP = 38.0
BOTTOM = 20.0
INFO_X = 120.0  # the date, the reference and the page, to the right of the window

# The words of the paper itself, in the document's language.
_WORDS = {
    "fi": {
        "date": "Päiväys",
        "reference": "Viite",
        "page": "Sivu",
        "signature": "Allekirjoitus",
        "phone": "puh.",
    },
    "sv": {
        "date": "Datum",
        "reference": "Referens",
        "page": "Sida",
        "signature": "Underskrift",
        "phone": "tfn",
    },
    "en": {
        "date": "Date",
        "reference": "Reference",
        "page": "Page",
        "signature": "Signature",
        "phone": "tel.",
    },
}


@dataclass(frozen=True)
class Paper:
    """What a document on paper carries besides its text."""

    lang: str
    title: str
    controller: dict[str, str]  # name, street, postal_code, city, contact_person, phone, email
    date: str  # already written in the document's language
    reference: str | None = None  # e.g. "pyyntö nro 7": what the reader quotes back
    recipient: list[str] = field(default_factory=list)  # name and address lines, or none
    signer: str | None = None  # the handler who signs; None: no signature line


def font_path(style: str = "") -> str:
    return str(resources.files("lautex_registry").joinpath(f"fonts/{_FONT_FILES[style]}"))


def _line(text: str) -> str:
    # One printed line: a control character has no glyph, so it is printed as its escape.
    return printable(" ".join(str(text).split()), one_line=True)


def _letterhead_lines(controller: dict[str, str], lang: str) -> list[str]:
    place = " ".join(p for p in (controller.get("postal_code"), controller.get("city")) if p)
    address = ", ".join(p for p in (controller.get("street"), place) if p)
    contact = ", ".join(
        p
        for p in (
            controller.get("contact_person"),
            f"{_WORDS[lang]['phone']} {controller['phone']}" if controller.get("phone") else "",
            controller.get("email"),
        )
        if p
    )
    return [line for line in (address, contact) if line]


def postal_address(
    *,
    name: str | None,
    organisation: str | None = None,
    street: str | None = None,
    postal_code: str | None = None,
    city: str | None = None,
    country: str | None = None,
) -> list[str]:
    """The lines of an address as Posti reads them (docs/rules.md §2 "Addresses"): for
    business mail the organisation first and the person after it, the street, the postal
    code and the post office in capitals, and the country in capitals on the last line only
    when it is not Finland (its English name, as the UPU asks)."""
    from lautex_registry.platform.wording import HOME_COUNTRY, country_name

    place = " ".join(p for p in ((postal_code or "").strip(), (city or "").strip().upper()) if p)
    code = (country or HOME_COUNTRY).strip().upper()
    foreign = country_name(code, "en").upper() if code != HOME_COUNTRY else ""
    lines = [organisation, name, street, place, foreign]
    return [" ".join(str(line).split()) for line in lines if line and str(line).strip()]
