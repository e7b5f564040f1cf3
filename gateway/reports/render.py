"""The annual report as a printable HTML page and as XLSX (one sheet per section)."""

from __future__ import annotations

import atexit
import functools
import html
import io
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from common.tabular import xlsx_row

from .compose import Section, label

TEXT = {
    "vi": {
        "title": "BÁO CÁO KẾT QUẢ THỰC HIỆN CÔNG TÁC BẢO TRỢ XÃ HỘI NĂM {year}",
        "to": "Kính gửi: Ủy ban nhân dân tỉnh",
        "from": "CƠ QUAN QUẢN LÝ BẢO TRỢ XÃ HỘI TỈNH",
        "motto": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "motto2": "Độc lập – Tự do – Hạnh phúc",
        "na": "Chưa có số liệu",
        "units": "Đơn vị: đồng; số người",
        "sources": "Nguồn số liệu",
        "made": "Lập ngày {day}",
    },
    "en": {
        "title": "ANNUAL REPORT ON SOCIAL PROTECTION, {year}",
        "to": "To: the Provincial People's Committee",
        "from": "Department responsible for social protection",
        "motto": "SOCIALIST REPUBLIC OF VIET NAM",
        "motto2": "Independence – Freedom – Happiness",
        "na": "Not available",
        "units": "Units: VND; persons",
        "sources": "Sources",
        "made": "Made on {day}",
    },
}


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return html.escape(str(value))


def as_html(year: int, sections: list[Section], lang: str, day: str) -> str:
    t = TEXT[lang]
    parts = [
        f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(t["title"].format(year=year))}</title>
<style>
body {{ font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 13pt; margin: 2cm; }}
.head {{ display: flex; justify-content: space-between; text-align: center; }}
h1 {{ text-align: center; font-size: 15pt; margin-top: 1.5em; }}
h2 {{ font-size: 13pt; margin-top: 1.2em; }}
h3 {{ font-size: 12pt; font-style: italic; }}
table {{ border-collapse: collapse; width: 100%; margin: .4em 0; }}
th, td {{ border: 1px solid #000; padding: 2px 5px; font-size: 11pt; }}
td.n {{ text-align: right; }}
.note, .src {{ font-size: 10pt; font-style: italic; }}
@media print {{ h2 {{ page-break-after: avoid; }} table {{ page-break-inside: auto; }} }}
</style></head><body>
<div class="head"><div><b>{html.escape(t["from"])}</b></div>
<div><b>{t["motto"]}</b><br><u>{t["motto2"]}</u><br><i>{html.escape(t["made"].format(day=day))}</i></div></div>
<h1>{html.escape(t["title"].format(year=year))}</h1>
<p style="text-align:center">{html.escape(t["to"])}</p>
<p class="note">{html.escape(t["units"])}</p>
"""
    ]
    for i, s in enumerate(sections, 1):
        parts.append(f"<h2>{i}. {html.escape(label(s.key, lang))}</h2>")
        if not s.available:
            parts.append(f"<p><b>{t['na']}</b>: {html.escape(s.note_in(lang))}</p>")
            continue
        if s.note_in(lang):
            parts.append(f'<p class="note">{html.escape(s.note_in(lang))}</p>')
        for table in s.tables:
            if table.title:
                parts.append(f"<h3>{html.escape(label(table.title, lang))}</h3>")
            head = "".join(f"<th>{html.escape(label(c, lang))}</th>" for c in table.columns)
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td class="n">{_cell(v)}</td>'
                    if isinstance(v, int)
                    else f"<td>{html.escape(label(str(v), lang))}</td>"
                    for v in row
                )
                + "</tr>"
                for row in table.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append(f'<p class="src">{t["sources"]}: {html.escape("; ".join(s.sources))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def as_xlsx(year: int, sections: list[Section], lang: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    for i, s in enumerate(sections, 1):
        sheet = workbook.create_sheet(f"{i} {s.key}"[:31])
        sheet.append(xlsx_row(sheet, [label(s.key, lang), year]))
        if not s.available:
            sheet.append(xlsx_row(sheet, [TEXT[lang]["na"], s.note_in(lang)]))
            continue
        for table in s.tables:
            sheet.append(xlsx_row(sheet, []))
            if table.title:
                sheet.append(xlsx_row(sheet, [label(table.title, lang)]))
            sheet.append(xlsx_row(sheet, [label(c, lang) for c in table.columns]))
            for row in table.rows:
                sheet.append(xlsx_row(sheet, [v if isinstance(v, int) else label(str(v), lang) for v in row]))
        sheet.append(xlsx_row(sheet, []))
        sheet.append(xlsx_row(sheet, [TEXT[lang]["sources"], "; ".join(s.sources)]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _font_files() -> tuple[str, str]:
    """Noto Serif (regular and italic; it has every Vietnamese letter), bundled by the ``fontpkg-noto-serif``
    package: no system font is needed."""
    import fontpkg_noto_serif

    files = fontpkg_noto_serif.ROOT / "files"
    return str(files / "NotoSerif[wdth,wght].ttf"), str(files / "NotoSerif-Italic[wdth,wght].ttf")


_fonts_lock = threading.Lock()

PDF_UNICODES = (
    *range(0x20, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    0x20AB,
    0x20AC,
    0x2116,
)
"""What the report prints: Latin with its extensions (Vietnamese: U+1E00–U+1EFF, ơ, ư, đ), combining marks,
punctuation, ₫ € №. The fonts keep these glyphs only (Greek and Cyrillic are dropped)."""

VARIATION_TABLES = ("fvar", "gvar", "avar", "cvar", "HVAR", "VVAR", "MVAR", "STAT", "GDEF")


@functools.cache
def _static_fonts() -> dict[str, str]:
    """The three styles the PDF uses as static TTF files, made once per process from the variable fonts.

    Letting fpdf2 instantiate the variable font on every PDF cost about 12 s of CPU per report (measured: nearly all
    of it in fontTools' instancer: the GPOS kerning tables, then every glyph's variations). Now the fonts are cut
    down to :data:`PDF_UNICODES` and their kerning dropped (the report's plain layout uses none) first; the regular
    and italic styles are the fonts' default instances (their outlines are the ``glyf`` table: the variation tables
    are simply removed), only bold is instantiated. Saved to a private temporary folder removed at exit."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    regular, italic = _font_files()
    folder = Path(tempfile.mkdtemp(prefix="ansinh-report-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    out = {}
    for style, source, weight in (("", regular, 400.0), ("B", regular, 700.0), ("I", italic, 400.0)):
        font = TTFont(source)
        if "GPOS" in font:
            del font["GPOS"]
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=PDF_UNICODES)
        cutter.subset(font)
        axes = {a.axisTag: a.defaultValue for a in font["fvar"].axes}
        if axes.get("wght") == weight:
            for tag in VARIATION_TABLES:
                if tag in font:
                    del font[tag]
        else:
            font = instancer.instantiateVariableFont(font, {**axes, "wght": weight})
        path = folder / f"NotoSerif-{style or 'R'}.ttf"
        font.save(str(path))
        out[style] = str(path)
    return out


def static_fonts() -> dict[str, str]:
    with _fonts_lock:  # two first reports at once make the files once
        return _static_fonts()


def as_pdf(year: int, sections: list[Section], lang: str, day: str) -> bytes:
    """A4 pages laid out like a report to the provincial People's Committee: the issuing office and the national
    motto at the top, the title, then one numbered part per section with its tables."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    t = TEXT[lang]
    fonts = static_fonts()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    for style, path in fonts.items():
        pdf.add_font("Noto", style, path)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, height: float, style: str = "", size: float = 10, align: str = "L") -> None:
        pdf.set_font("Noto", style, size)
        pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    top = pdf.get_y()
    pdf.set_font("Noto", "B", 10)
    pdf.multi_cell(width * 0.4, 5, t["from"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + width * 0.4, top)
    pdf.multi_cell(width * 0.6, 5, f"{t['motto']}\n{t['motto2']}", align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Noto", "I", 10)
    pdf.multi_cell(width * 0.6, 6, t["made"].format(day=day), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    line(t["title"].format(year=year), 7, "B", 13, "C")
    line(t["to"], 6, "", 11, "C")
    line(t["units"], 5, "I", 9)
    for i, s in enumerate(sections, 1):
        pdf.ln(2)
        line(f"{i}. {label(s.key, lang)}", 6, "B", 11)
        if not s.available:
            line(f"{t['na']}: {s.note_in(lang)}", 5)
            continue
        if s.note_in(lang):
            line(s.note_in(lang), 4, "I", 8)
        for table in s.tables:
            if not table.rows:
                continue
            if table.title:
                line(label(table.title, lang), 5, "I", 10)
            numeric = [all(isinstance(r[j], int) for r in table.rows) for j in range(len(table.columns))]
            pdf.set_font("Noto", "", 7 if len(table.columns) > 7 else 8.5)
            with pdf.table(
                headings_style=FontFace(emphasis="BOLD"),
                line_height=4,
                text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
            ) as grid:
                grid.row([label(c, lang) for c in table.columns])
                for row in table.rows:
                    grid.row([_cell(v) if isinstance(v, int) else label(str(v), lang) for v in row])
        line(f"{t['sources']}: {'; '.join(s.sources)}", 4, "I", 7)
    return bytes(pdf.output())
