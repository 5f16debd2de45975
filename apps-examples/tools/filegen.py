"""Small, real attachment files written with the Python standard library only.

Every writer is deterministic (no timestamps, fixed zip dates) so that
`python3 apps-examples/tools/generate.py` reproduces byte-identical files.

- PDF: one A4 page per ~38 lines, text in Japanese using the non-embedded
  Adobe-Japan1 CID font HeiseiKakuGo-W5 with the UniJIS-UCS2-H CMap plus a
  /ToUnicode CMap, so viewers render it and text extractors get Unicode back.
  Content streams are uncompressed.
- DOCX / XLSX: minimal Office Open XML packages (zip of XML) with Japanese text.
- ODS: a minimal OpenDocument spreadsheet (zip of XML), used as a test fixture.
- CSV: UTF-8 or Shift_JIS (cp932).  TXT: UTF-8.
"""

import csv
import io
import zipfile
from xml.sax.saxutils import escape

ZIP_DATE = (2025, 4, 1, 9, 0, 0)


# ---------------------------------------------------------------- PDF
def _wrap(text, width):
    out = []
    for para in text.split("\n"):
        if not para:
            out.append("")
            continue
        while len(para) > width:
            cut = width
            # do not start a line with 、。）」
            while cut < len(para) and para[cut] in "、。）」』":
                cut += 1
            out.append(para[:cut])
            para = para[cut:]
        out.append(para)
    return out


def _utf16_hex(s):
    return s.encode("utf-16-be").hex().upper()


def write_pdf(path, title, body, footer=""):
    """Write a PDF with a title line and wrapped body text (Japanese allowed)."""
    lines = _wrap(body, 38)
    if footer:
        lines += [""] + _wrap(footer, 38)
    per_page = 40
    pages = [lines[i:i + per_page] for i in range(0, max(len(lines), 1), per_page)] or [[]]

    used_hi = sorted({ord(c) >> 8 for c in title + body + footer if ord(c) <= 0xFFFF})
    bfr = "".join("<%02X00> <%02XFF> <%02X00>\n" % (h, h, h) for h in used_hi)
    tounicode = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        "%d beginbfrange\n%sendbfrange\nendcmap\n"
        "CMapName currentdict /CMap defineresource pop\nend\nend\n" % (len(used_hi), bfr)
    ).encode("ascii")

    objs = {}  # num -> bytes
    n_pages = len(pages)
    first_page = 8
    page_nums = [first_page + 2 * i for i in range(n_pages)]
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = ("<< /Type /Pages /Kids [%s] /Count %d >>" % (
        " ".join("%d 0 R" % p for p in page_nums), n_pages)).encode()
    objs[3] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5-UniJIS-UCS2-H "
               b"/Encoding /UniJIS-UCS2-H /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>")
    objs[4] = (b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
               b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> "
               b"/FontDescriptor 5 0 R /DW 1000 >>")
    objs[5] = (b"<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 "
               b"/FontBBox [-92 -250 1010 922] /ItalicAngle 0 /Ascent 752 /Descent -221 "
               b"/CapHeight 737 /StemV 114 >>")
    objs[6] = b"<< /Length %d >>\nstream\n" % len(tounicode) + tounicode + b"\nendstream"
    objs[7] = b"<< /Producer (Kumiki example generator) >>"
    for i, pg in enumerate(pages):
        ops = ["BT", "/F1 16 Tf", "56 790 Td"]
        if i == 0:
            ops.append("<%s> Tj" % _utf16_hex(title))
            ops.append("0 -30 Td")
        ops.append("/F1 11 Tf")
        ops.append("16 TL")
        for ln in pg:
            ops.append("<%s> Tj T*" % _utf16_hex(ln) if ln else "T*")
        ops.append("ET")
        stream = ("\n".join(ops) + "\n").encode("ascii")
        pnum = page_nums[i]
        objs[pnum] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                      b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pnum + 1))
        objs[pnum + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream"

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n")
    xref = out.tell()
    size = max(objs) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for num in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[num])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    with open(path, "wb") as f:
        f.write(out.getvalue())


# ---------------------------------------------------------------- zip helpers
def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8"))


XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# ---------------------------------------------------------------- DOCX
def write_docx(path, title, paragraphs):
    W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    font = '<w:rFonts w:ascii="MS Mincho" w:eastAsia="ＭＳ 明朝" w:hAnsi="MS Mincho"/>'
    body = ['<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr>%s<w:b/><w:sz w:val="28"/></w:rPr>'
            '<w:t>%s</w:t></w:r></w:p>' % (font, escape(title))]
    for p in paragraphs:
        body.append('<w:p><w:r><w:rPr>%s</w:rPr><w:t xml:space="preserve">%s</w:t></w:r></w:p>'
                    % (font, escape(p)))
    document = (XML_DECL + '<w:document xmlns:w="%s"><w:body>%s'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
                '<w:pgMar w:top="1985" w:right="1701" w:bottom="1701" w:left="1701" w:header="851" '
                'w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>' % (W, "".join(body)))
    content_types = (XML_DECL +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '</Types>')
    rels = (XML_DECL +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
        'metadata/core-properties" Target="docProps/core.xml"/>'
        '</Relationships>')
    core = (XML_DECL +
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>%s</dc:title>'
        '<dc:creator>Kumiki</dc:creator></cp:coreProperties>' % escape(title))
    _zip(path, [("[Content_Types].xml", content_types), ("_rels/.rels", rels),
                ("docProps/core.xml", core), ("word/document.xml", document)])


# ---------------------------------------------------------------- XLSX
def _col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(path, sheet_name, rows):
    """rows: list of lists of str/int/float/None.  Strings go to sharedStrings."""
    strings, index = [], {}
    sheet_rows = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = "%s%d" % (_col(c), r)
            if v is None or v == "":
                continue
            if isinstance(v, (int, float)):
                cells.append('<c r="%s"><v>%s</v></c>' % (ref, v))
            else:
                if v not in index:
                    index[v] = len(strings)
                    strings.append(v)
                cells.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, index[v]))
        sheet_rows.append('<row r="%d">%s</row>' % (r, "".join(cells)))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (XML_DECL + '<worksheet xmlns="%s"><sheetData>%s</sheetData></worksheet>'
             % (main, "".join(sheet_rows)))
    sst = (XML_DECL + '<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
           % (main, len(strings), len(strings),
              "".join('<si><t xml:space="preserve">%s</t></si>' % escape(s) for s in strings)))
    workbook = (XML_DECL + '<workbook xmlns="%s" xmlns:r="%s"><sheets>'
                '<sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>'
                % (main, rel, escape(sheet_name)))
    styles = (XML_DECL + '<styleSheet xmlns="%s">'
              '<fonts count="1"><font><sz val="11"/><name val="游ゴシック"/><family val="3"/>'
              '<charset val="128"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
              '<cellStyles count="1"><cellStyle name="標準" xfId="0" builtinId="0"/></cellStyles>'
              '</styleSheet>' % main)
    wb_rels = (XML_DECL +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="%s/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="%s/styles" Target="styles.xml"/>'
        '</Relationships>' % (rel, rel, rel))
    rels = (XML_DECL +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>' % rel)
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    content_types = (XML_DECL +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="%s.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="%s.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="%s.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="%s.styles+xml"/>'
        '</Types>' % (ct, ct, ct, ct))
    _zip(path, [("[Content_Types].xml", content_types), ("_rels/.rels", rels),
                ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", wb_rels),
                ("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", sst),
                ("xl/styles.xml", styles)])


# ---------------------------------------------------------------- ODS
def write_ods(path, sheet_name, rows):
    """OpenDocument spreadsheet: `mimetype` first and stored, then manifest and content XML.
    rows: list of lists of str/int/float/None."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    body = []
    for row in rows:
        cells = []
        for v in row:
            if v is None or v == "":
                cells.append("<table:table-cell/>")
            elif isinstance(v, (int, float)):
                cells.append('<table:table-cell office:value-type="float" office:value="%s">'
                             "<text:p>%s</text:p></table:table-cell>" % (v, v))
            else:
                cells.append('<table:table-cell office:value-type="string"><text:p>%s</text:p>'
                             "</table:table-cell>" % escape(str(v)))
        body.append("<table:table-row>%s</table:table-row>" % "".join(cells))
    content = (XML_DECL + '<office:document-content xmlns:office="%s" xmlns:table="%s" '
               'xmlns:text="%s" office:version="1.2"><office:body><office:spreadsheet>'
               '<table:table table:name="%s">%s</table:table>'
               "</office:spreadsheet></office:body></office:document-content>"
               % (office, table, text, escape(sheet_name, {'"': "&quot;"}), "".join(body)))
    manifest = (XML_DECL +
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("mimetype", date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_STORED
        z.writestr(info, b"application/vnd.oasis.opendocument.spreadsheet")
        for name, data in [("META-INF/manifest.xml", manifest), ("content.xml", content)]:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8"))


# ---------------------------------------------------------------- CSV / TXT
def write_csv(path, rows, encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    with open(path, "wb") as f:
        f.write(buf.getvalue().encode(encoding))


def write_txt(path, text):
    with open(path, "wb") as f:
        f.write(text.replace("\r\n", "\n").encode("utf-8"))


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv",
    "txt": "text/plain",
}
