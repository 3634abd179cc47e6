"""The HTML of a document is markdown-it's, even where tables are written directly.

`documents.html_body_chunks` writes the tables of a letter row by row without
markdown-it (docs/rules.md §3: an access export may list 10,000 orders); these tests
hold it to markdown-it's own output for any cell a stored value can make, for rows
that are short or long, for cells that are markup, and for text cut anywhere.
"""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lautex_registry.platform.documents import (
    html_body_chunks,
    markdown_parser,
    markdown_to_html,
)
from lautex_registry.platform.escaping import markdown_text

# Text as stored values come: any character, and the ones Markdown gives a meaning.
VALUES = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("|\\`*_[]<>&!~#-+=.)0123456789 \t\"'\xa0")),
    ),
    max_size=20,
)
# Cells as the templates write them: a value made literal, on one line.
CELLS = VALUES.map(lambda value: " ".join(markdown_text(value).split()))


def _pieces(text: str, seed: int) -> list[str]:
    """`text` cut at random places, as a template's output arrives."""
    cuts = sorted(random.Random(seed).sample(range(len(text) + 1), min(len(text), 12)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " | " for row in rows]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(
    width=st.integers(1, 4),
    cells=st.lists(CELLS, min_size=1, max_size=24),
    seed=st.integers(0, 2**32),
)
def test_a_table_of_escaped_values_is_markdown_its_html(
    width: int, cells: list[str], seed: int
) -> None:
    header = (cells * width)[:width]
    rows = [cells[i : i + width] for i in range(0, len(cells), width)]
    rows = [(row + [""] * width)[:width] for row in rows]
    markdown = f"# Orders\n\nSome text.\n\n{_table(header, rows)}\nNone.\n\n- a\n- b\n"
    expected = markdown_parser().render(markdown)
    assert "".join(html_body_chunks([markdown])) == expected
    assert "".join(html_body_chunks(_pieces(markdown, seed))) == expected


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(VALUES.map(lambda v: v.replace("\n", " ")), min_size=1, max_size=8),
    prefix=st.sampled_from(["", "| a | b |\n|---|---|\n", "| a |\n|---|\n", "text\n"]),
)
def test_any_text_after_a_table_head_is_markdown_its_html(lines: list[str], prefix: str) -> None:
    # Raw (unescaped) cells, short and long rows, lines without a pipe, blank lines:
    # whatever markdown-it makes of them, the direct writer makes the same.
    markdown = prefix + "\n".join(lines) + "\n"
    assert "".join(html_body_chunks([markdown])) == markdown_parser().render(markdown)


def test_markup_in_a_cell_is_rendered_as_markdown_it_renders_it() -> None:
    markdown = (
        "| a | b |\n|---|---|\n| *em* | [x](https://example.fi) &copy; |\n| `c` |\n"
        "| a_b !x ![i](j) \\q | _u_ &amp; \\| |\n"
    )
    html = "".join(html_body_chunks([markdown]))
    assert html == markdown_parser().render(markdown)
    assert "<em>em</em>" in html and "<code>c</code>" in html and "©" in html
    assert "<td>a_b !x <img" in html and "<em>u</em>" in html


def test_a_table_with_no_rows_is_a_head_alone() -> None:
    markdown = "| a | b |\n|---|---|\n\nNone.\n"
    html = "".join(html_body_chunks([markdown]))
    assert html == markdown_parser().render(markdown) and "<tbody>" not in html


def test_line_ends_and_nul_are_read_as_markdown_it_reads_them() -> None:
    for markdown in (
        "| a |\n|---|\n| 1 |\r",
        "te\r\nxt\rmore\x00 | a |",
        "| a |\r\n|---|\r\n| 1 |",
    ):
        for seed in range(5):
            html = "".join(html_body_chunks(_pieces(markdown, seed)))
            assert html == markdown_parser().render(markdown), (markdown, seed)


def test_rows_far_too_short_end_the_table_where_markdown_it_ends_it() -> None:
    # markdown-it stops filling short rows with empty cells after 65,536 of them.
    markdown = _table([f"c{n}" for n in range(300)], []) + "| 1 |\n" * 230
    assert "".join(html_body_chunks([markdown])) == markdown_parser().render(markdown)


def test_a_row_that_starts_another_block_ends_the_table() -> None:
    markdown = "| a |\n|---|\n| 1 |\n# Heading\n| 2 |\ntext\n"
    html = "".join(html_body_chunks([markdown]))
    assert html == markdown_parser().render(markdown)
    assert "<h1>Heading</h1>" in html


def test_a_stored_value_is_text_in_the_html_page() -> None:
    value = '<script>alert("x")</script> [Pay](http://evil.example) | *'
    markdown = f"| name |\n|---|\n| {markdown_text(value)} |\n"
    page = markdown_to_html(markdown, "Title <b>", "en")
    assert "<script>" not in page and "<a " not in page and "<b>" not in page
    shown = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; [Pay](http://evil.example) | *"
    assert shown in page
