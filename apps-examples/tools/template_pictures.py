"""The gallery's pictures: a simplified drawing of a template's form (its first fields as labelled boxes),
with its process states as pills and a small bar chart when the app has charts. Plain SVG, no fonts or
scripts embedded; the colour comes from the app's name so each card looks different."""

import hashlib
from xml.sax.saxutils import escape

COLOURS = ["#2f6fb0", "#2e8b57", "#b5651d", "#7b4fa0", "#c0392b", "#138d90", "#8a6d1f", "#4a5fc1"]


def picture(pkg):
    name = pkg["app"]["name"]
    colour = COLOURS[hashlib.sha256(name.encode("utf-8")).digest()[0] % len(COLOURS)]
    out = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" width="320" height="200" '
           f'role="img" aria-label="{escape(name)}">',
           '<rect width="320" height="200" rx="10" fill="#f7f8fa"/>',
           f'<rect width="320" height="38" rx="10" fill="{colour}"/>',
           f'<rect y="28" width="320" height="10" fill="{colour}"/>',
           f'<text x="16" y="25" font-family="sans-serif" font-size="16" font-weight="bold" fill="#fff">{escape(name)}</text>']
    codes = []
    for row in pkg["layout"]:
        for f in row.get("fields", []):
            if row.get("type") == "ROW" and f["type"] not in ("LABEL", "SPACER", "HR"):
                codes.append((f["code"], f["type"]))
    has_chart = bool(pkg.get("reports"))
    width = 190 if has_chart else 290
    y = 52
    for code, kind in codes[:5]:
        label = pkg["properties"].get(code, {}).get("label", code)
        label = label if len(label) <= 10 else label[:9] + "…"
        out.append(f'<text x="16" y="{y + 11}" font-family="sans-serif" font-size="10" fill="#444">{escape(label)}</text>')
        fill = "#eef3fb" if kind == "CALC" else "#fff"
        out.append(f'<rect x="92" y="{y}" width="{width - 80}" height="16" rx="3" fill="{fill}" stroke="#b8c0cc"/>')
        if kind in ("DROP_DOWN",):
            out.append(f'<path d="M{width - 2} {y + 6} l5 5 l5 -5" fill="none" stroke="#888"/>')
        if kind in ("DATE", "DATETIME"):
            out.append(f'<rect x="{width - 2}" y="{y + 3}" width="9" height="9" fill="none" stroke="#888"/>')
        y += 24
    if has_chart:
        heights = [int(b, 16) % 50 + 20 for b in hashlib.sha256(name.encode("utf-8")).hexdigest()[:5]]
        out.append('<rect x="210" y="52" width="96" height="86" rx="4" fill="#fff" stroke="#d3d8e0"/>')
        for i, h in enumerate(heights):
            out.append(f'<rect x="{220 + i * 16}" y="{130 - h}" width="11" height="{h}" fill="{colour}" opacity="0.8"/>')
    states = list(pkg.get("process", {}).get("states", {}))[:4]
    if states:
        x = 16
        for i, s in enumerate(states):
            w = 14 + 11 * len(s)
            out.append(f'<rect x="{x}" y="176" width="{w}" height="16" rx="8" fill="{colour}" opacity="{0.35 + 0.15 * i:.2f}"/>')
            out.append(f'<text x="{x + 7}" y="188" font-family="sans-serif" font-size="10" fill="#fff">{escape(s)}</text>')
            if i + 1 < len(states):
                out.append(f'<path d="M{x + w + 2} 184 h6" stroke="#888"/>')
            x += w + 10
    out.append("</svg>\n")
    return "\n".join(out)
