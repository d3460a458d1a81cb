#!/usr/bin/python3
"""Regenerates the document fixtures of tests/extract and tests/e2e/test_documents.py.

Real files made by real tools: ghostscript (ps2pdf) for the English and the encrypted PDF,
python-docx for the DOCX, Python's zipfile / codecs for the rest. The Korean PDF and the PDFs with
active content are written object by object here (ghostscript on Debian has no Korean font, and
it would drop JavaScript): a Type0 font with Identity-H encoding and a ToUnicode CMap, so poppler
extracts real Hangul. Output is deterministic apart from the timestamps gs and python-docx embed.

  /usr/bin/python3 tests/data/documents/make_fixtures.py      (needs ghostscript, python3-docx)

good/     files the service must accept and extract
hostile/  files it must refuse (an ELF binary, a zip bomb, path traversal, JavaScript, encryption,
          truncation, random bytes, a shell script)
"""
import io
import os
import random
import struct
import subprocess
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "good")
HOSTILE = os.path.join(HERE, "hostile")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------
# PDFs written object by object.

def build_pdf(objects, root=1, extra_trailer=b"", version=b"1.4"):
    """objects: list of bytes, object i+1 = objects[i]. Returns a PDF with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, extra_trailer, xref))
    return out.getvalue()


def stream(dict_entries, data):
    return b"<< %s /Length %d >>\nstream\n" % (dict_entries, len(data)) + data + b"\nendstream"


def korean_pdf(pages):
    """pages: list of lists of text lines (str). One Type0/Identity-H font, CID = Unicode code."""
    chars = sorted({ord(c) for page in pages for line in page for c in line})
    bfchar = b"".join(b"<%04X> <%04X>\n" % (c, c) for c in chars)
    cmap = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + b"%d beginbfchar\n" % len(chars) + bfchar + b"endbfchar\n"
            b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    n = len(pages)
    # 1 catalog, 2 pages, 3 type0 font, 4 cidfont, 5 descriptor, 6 tounicode, then page/content.
    objs = [None] * (6 + 2 * n)
    kids = b" ".join(b"%d 0 R" % (7 + 2 * i) for i in range(n))
    objs[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)
    objs[2] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /NanumGothic /Encoding /Identity-H "
               b"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>")
    objs[3] = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NanumGothic "
               b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
               b"/FontDescriptor 5 0 R /DW 1000 /W [32 [500]] /CIDToGIDMap /Identity >>")
    objs[4] = (b"<< /Type /FontDescriptor /FontName /NanumGothic /Flags 4 "
               b"/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 "
               b"/CapHeight 700 /StemV 80 >>")
    objs[5] = stream(b"", cmap)
    for i, page in enumerate(pages):
        ops = [b"BT /F1 20 Tf 72 720 Td 28 TL"]
        for line in page:
            ops.append(b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj T*")
        ops.append(b"ET")
        content = b"\n".join(ops)
        objs[6 + 2 * i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                           b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                           % (8 + 2 * i))
        objs[7 + 2 * i] = stream(b"", content)
    return build_pdf(objs)


def simple_pdf(text, catalog_extra=b"", extra_objects=()):
    """One page of Helvetica text; catalog_extra is spliced into the catalog dictionary."""
    content = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            stream(b"", content)]
    objs.extend(extra_objects)
    return build_pdf(objs)


def objstm_js_pdf():
    """PDF 1.5 whose JavaScript action hides in a Flate-compressed object stream, indexed by an
    xref stream: nothing active is visible in the file's plain bytes."""
    content = b"BT /F1 14 Tf 72 720 Td (Object stream sample) Tj ET"
    plain = {  # objects outside the object stream
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
           b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: stream(b"", content),
    }
    inner = b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hi'\\)) >>"
    header = b"6 0 "
    objstm_data = zlib.compress(header + inner)
    plain[7] = stream(b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header),
                      objstm_data)
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(plain):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + plain[num] + b"\nendobj\n")
    xref_num = 8
    offsets[xref_num] = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for num in range(1, 9):
        if num == 6:
            rows.append(struct.pack(">BIH", 2, 7, 0))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[num], 0))
    data = zlib.compress(b"".join(rows))
    out.write(b"%d 0 obj\n" % xref_num
              + stream(b"/Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode", data)
              + b"\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % offsets[xref_num])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# PostScript for ghostscript.

ENGLISH_PAGES = [
    ["Field Guide to Coastal Filming", "",
     "Page one explains the amber lighthouse shot at dawn.",
     "Crews arrive early to catch the low golden light."],
    ["Equipment and Safety", "",
     "Page two covers the velvet harbor crane rig.",
     "Every rigger checks the counterweights twice."],
    ["Wrap and Archive", "",
     "Page three describes the quiet marmalade archive.",
     "Footage is copied to two drives before leaving."],
]


def ps_escape(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def english_ps():
    out = ["%!PS-Adobe-3.0", "%%Pages: %d" % len(ENGLISH_PAGES), "%%EndComments"]
    for n, lines in enumerate(ENGLISH_PAGES, start=1):
        out.append("%%%%Page: %d %d" % (n, n))
        out.append("/Helvetica findfont 14 scalefont setfont")
        y = 720
        for line in lines:
            out.append("72 %d moveto (%s) show" % (y, ps_escape(line)))
            y -= 22
        out.append("showpage")
    out.append("%%EOF")
    return "\n".join(out).encode()


def ps2pdf(ps_bytes, dest, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.ps")
        write(src, ps_bytes)
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                        "-dCompatibilityLevel=1.4", *extra, "-sOutputFile=" + dest, src],
                       check=True)


# ---------------------------------------------------------------------------------------------

def make_docx(dest):
    import docx  # python3-docx
    d = docx.Document()
    d.add_heading("Production Handbook", level=0)  # style Title
    d.add_heading("Introduction", level=1)
    d.add_paragraph("This handbook explains how the studio prepares a launch video.")
    d.add_heading("Scope", level=2)
    d.add_paragraph("The scope covers the turquoise storyboard review only.")
    d.add_paragraph("Storyboards are approved weekly", style="List Bullet")
    d.add_paragraph("Voice-over scripts are read aloud", style="List Bullet")
    d.add_heading("Schedule", level=1)
    d.add_paragraph("The table lists the shooting days.")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["Day", "Location", "Lead"],
                             ["Monday", "Harbor", "Mina"],
                             ["Tuesday", "Saffron canyon", "Joon"]]):
        for c, val in enumerate(row):
            t.cell(r, c).text = val
    d.add_paragraph("Final notes mention the cobalt rehearsal stage.")
    d.save(dest)


def docx_skeleton(zf):
    zf.writestr("[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                '.org/package/2006/content-types"><Default Extension="xml" ContentType="applicatio'
                'n/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openx'
                'mlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    zf.writestr("word/document.xml",
                '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxml'
                'formats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r>'
                '</w:p></w:body></w:document>')


def zip_bomb(dest, megabytes=200):
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        docx_skeleton(zf)
        info = zipfile.ZipInfo("word/media/zeros.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as f:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                f.write(block)


def traversal_docx(dest):
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        docx_skeleton(zf)
        zf.writestr("../../evil.sh", "#!/bin/sh\necho owned\n")


def tiny_elf():
    # A 64-byte ELF64 x86-64 executable header with no program: enough for any sniffer.
    return (b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
            + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x400078, 64, 0, 0, 64, 56, 1, 0, 0, 0))


def main():
    os.makedirs(GOOD, exist_ok=True)
    os.makedirs(HOSTILE, exist_ok=True)

    ps2pdf(english_ps(), os.path.join(GOOD, "english.pdf"))
    write(os.path.join(GOOD, "korean.pdf"), korean_pdf([
        ["안녕하세요 한국어 문서입니다", "서울특별시 종로구 세종대로 견학 안내",
         "첫 번째 페이지는 광화문 광장의 아침 풍경을 설명합니다.",
         "촬영팀은 해가 뜨기 전에 도착하여 장비를 점검합니다.",
         "조명 감독은 자연광을 최대한 활용하는 방법을 제안했습니다."],
        ["두 번째 페이지", "부산광역시 해운대 해변 촬영 일정",
         "두 번째 페이지는 바닷가 장면의 준비 과정을 다룹니다.",
         "드론 촬영은 바람이 약한 오후 시간에 진행합니다.",
         "모든 영상은 두 개의 저장 장치에 복사해 둡니다."],
    ]))
    make_docx(os.path.join(GOOD, "report.docx"))
    write(os.path.join(GOOD, "page.html"), """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Studio news</title>
<style>body { color: #333 } .stylenoise { display: none }</style>
<script>var scriptnoise = "do not index this";</script></head>
<body>
<header><p>headernoise banner</p></header>
<nav><ul><li><a href="/">navnoise home</a></li><li>navnoise about</li></ul></nav>
<main>
<h1>Studio News</h1>
<p>The studio opened a new <b>emerald sound stage</b> for launch videos.</p>
<h2>Crew</h2>
<ul><li>Director of photography</li><li>Gaffer and grip</li></ul>
<table><tr><th>Role</th><th>Name</th></tr><tr><td>Editor</td><td>Hyejin</td></tr></table>
<noscript>noscriptnoise</noscript>
<template><p>templatenoise</p></template>
</main>
<footer>footernoise copyright</footer>
<script>document.write("scriptnoise2")</script>
</body></html>
""".encode())
    write(os.path.join(GOOD, "korean_euckr.html"), """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">
<title>공지</title></head><body><h1>촬영 공지</h1>
<p>제주도 성산일출봉 촬영은 다음 주 화요일입니다.</p></body></html>
""".encode("cp949"))
    write(os.path.join(GOOD, "notes.md"), """# Launch Plan

The launch plan starts with a crimson teaser.

## Audience

Viewers who like the indigo trailer series.

```
# not a heading inside a code fence
```

## Budget

The budget line mentions the walnut camera dolly.
""".encode())
    write(os.path.join(GOOD, "shots.csv"),
          b"shot,location,notes\n1,harbor,sunrise pelican flyover\n2,canyon,drone sweep\n")
    # 똠 and 햏 are in CP949 (UHC) but not in EUC-KR (KS X 1001): detection must pick CP949.
    write(os.path.join(GOOD, "korean_cp949.txt"), """한국어 문서 예시입니다.
대본 작성을 위한 자료: 강릉 경포대 일출 촬영 계획.
똠양꿍 식당 장면과 햏 자막은 나중에 추가합니다.
""".encode("cp949"))
    write(os.path.join(GOOD, "utf16.txt"),
          "\ufeffUTF-16 notes about the saffron lantern parade.\r\n유니코드 문서 테스트.\r\n"
          .encode("utf-16-le"))

    write(os.path.join(HOSTILE, "elf_binary.pdf"), tiny_elf())
    zip_bomb(os.path.join(HOSTILE, "zip_bomb.docx"))
    traversal_docx(os.path.join(HOSTILE, "traversal.docx"))
    write(os.path.join(HOSTILE, "javascript.pdf"), simple_pdf(
        b"Click nothing", b"/OpenAction 6 0 R ",
        [b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hi'\\)) >>"]))
    write(os.path.join(HOSTILE, "javascript_escaped.pdf"), simple_pdf(
        b"Escaped names", b"/Open#41ction 6 0 R ",
        [b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"]))
    write(os.path.join(HOSTILE, "javascript_objstm.pdf"), objstm_js_pdf())
    ps2pdf(english_ps(), os.path.join(HOSTILE, "encrypted.pdf"),
           ["-sOwnerPassword=owner-secret", "-sUserPassword=user-secret", "-dEncryptionR=3",
            "-dKeyLength=128"])
    with open(os.path.join(GOOD, "english.pdf"), "rb") as f:
        pdf = f.read()
    write(os.path.join(HOSTILE, "truncated.pdf"), pdf[: len(pdf) // 2])
    write(os.path.join(HOSTILE, "random.bin"), random.Random(42).randbytes(4096))
    write(os.path.join(HOSTILE, "script.txt"), b"#!/bin/sh\necho hello\nrm -rf /tmp/x\n")


if __name__ == "__main__":
    main()
