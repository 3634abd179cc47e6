"""Documents on paper: an A4 PDF with a letterhead, the address in the envelope's window,
the date, the reference, page numbers and a signature line (docs/rules.md §2 "Letters on
paper").

The body is the document's own Markdown, rendered to HTML by the one Markdown parser
(`documents.markdown_parser`) and set by fpdf2. The font is DejaVu Sans, shipped in
`lautex_registry/fonts/` with its licence, so every name prints as written (Å, Ø, ß, Č);
no letter is transliterated.
"""

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

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


def add_fonts(pdf: Any) -> None:
    """Register the shipped Unicode font in its four styles."""
    for style in _FONT_FILES:
        pdf.add_font(FONT, style=style, fname=font_path(style))


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


def pdf_document(html_body: str, paper: Paper) -> bytes:
    """The document as PDF bytes: `html_body` is the Markdown's HTML (no <html> wrapper)."""
    from fpdf import FPDF

    words = _WORDS[paper.lang]

    class Letter(FPDF):
        def header(self) -> None:
            self.set_xy(LEFT, 12)
            self.set_font(FONT, "B", 11)
            self.cell(95, 5, _line(paper.controller.get("name", "")))
            self.set_font(FONT, "", 8)
            for index, text in enumerate(_letterhead_lines(paper.controller, paper.lang)):
                self.set_xy(LEFT, 18 + index * 4)
                self.cell(95, 4, _line(text))
            info = [f"{words['date']}: {paper.date}"]
            if paper.reference:
                info.append(f"{words['reference']}: {paper.reference}")
            info.append(f"{words['page']} {self.page_no()}/{{nb}}")
            self.set_font(FONT, "", 9)
            for index, text in enumerate(info):
                self.set_xy(INFO_X, 12 + index * 4.5)
                self.cell(PAGE_WIDTH - RIGHT - INFO_X, 4.5, _line(text), align="R")
            self.set_draw_color(150)
            self.line(LEFT, 31, PAGE_WIDTH - RIGHT, 31)
            self.set_y(BODY_TOP_FIRST if self.page_no() == 1 else BODY_TOP)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 8)
            name = _line(paper.controller.get("name", ""))
            self.cell(0, 4, f"{name} · {words['page']} {self.page_no()}/{{nb}}", align="C")

    pdf = Letter(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(_line(paper.title))
    pdf.set_creator("lautex")
    pdf.set_author(_line(paper.controller.get("name", "")))
    pdf.set_lang(paper.lang)
    pdf.set_margins(LEFT, BODY_TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    add_fonts(pdf)
    pdf.add_page()
    if paper.recipient:
        pdf.set_font(FONT, "", 10)
        for index, text in enumerate(paper.recipient[:8]):
            pdf.set_xy(WINDOW_X + 2, WINDOW_Y + 3 + index * 5)
            pdf.cell(WINDOW_WIDTH - 4, 5, _line(text))
    pdf.set_y(BODY_TOP_FIRST)
    pdf.set_font(FONT, "", 9.5)
    from fpdf.fonts import TextStyle

    # Black headings in the body's font: a letter, not a web page.
    headings = {
        tag: TextStyle(font_family=FONT, font_style="B", font_size_pt=size, color=0, t_margin=top)
        for tag, size, top in (("h1", 14, 2), ("h2", 11.5, 5), ("h3", 10.5, 4), ("h4", 10, 3))
    }
    headings["p"] = TextStyle(t_margin=1.5, b_margin=1.5)  # a gap between paragraphs
    pdf.write_html(
        html_body,
        font_family=FONT,
        tag_styles=headings,
        table_line_separators=True,
        li_prefix_color=(0, 0, 0),
        warn_on_tags_not_matching=False,
    )
    if paper.signer is not None:
        _signature(pdf, paper, words)
    return bytes(pdf.output())


def _signature(pdf: Any, paper: Paper, words: dict[str, str]) -> None:
    """A line to sign on, with the handler's name and the controller under it."""
    if pdf.get_y() > PAGE_HEIGHT - BOTTOM - 35:
        pdf.add_page()
    y = pdf.get_y() + 18
    pdf.set_draw_color(0)
    pdf.line(LEFT, y, LEFT + 75, y)
    pdf.set_font(FONT, "", 8)
    pdf.set_xy(LEFT, y + 1)
    pdf.cell(75, 4, words["signature"])
    pdf.set_font(FONT, "", 10)
    pdf.set_xy(LEFT, y + 5)
    pdf.cell(120, 5, _line(paper.signer or ""))
    pdf.set_xy(LEFT, y + 10)
    pdf.cell(120, 5, _line(paper.controller.get("name", "")))


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
