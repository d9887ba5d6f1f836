"""A grouped bar chart as PNG with Pillow (matplotlib is not a dependency of the project).

One group of bars per eval set, one bar per tokenizer, value printed on each bar.

    bar_chart("eval.png", results, metric="tokens_per_1k_chars")
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

PALETTE = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79"]


def bar_chart(path: str, results: dict, metric: str = "tokens_per_1k_chars",
              title: str = "tokens per 1,000 characters (lower is better)") -> str:
    """Draw `results` (evaluate.evaluate output) as grouped bars and save a PNG.

    Args:
        path: output .png path.
        results: {"sets": {...}, "results": {tokenizer: {set: {metric: value}}}}.
        metric: which number to draw.
        title: chart title.

    Returns:
        path.
    """
    sets = list(results["sets"])
    names = list(results["results"])
    values = [[(results["results"][n].get(s) or {}).get(metric) or 0.0 for s in sets] for n in names]
    top = max([v for row in values for v in row] + [1.0])
    font = ImageFont.load_default()
    bar_w, gap, left, bottom, height = 14, 24, 60, 60, 360
    group_w = bar_w * len(names) + gap
    width = left + group_w * len(sets) + 190
    img = Image.new("RGB", (width, height + bottom + 40), "white")
    d = ImageDraw.Draw(img)
    d.text((left, 8), title, fill="black", font=font)
    y0 = 30 + height  # baseline
    for k in range(5):  # horizontal grid with labels
        v = top * k / 4
        y = y0 - height * k / 4
        d.line([(left - 4, y), (left + group_w * len(sets), y)], fill="#dddddd")
        d.text((4, y - 6), f"{v:,.0f}", fill="black", font=font)
    for gi, s in enumerate(sets):
        x = left + gi * group_w + gap // 2
        for ni in range(len(names)):
            v = values[ni][gi]
            h = height * v / top
            d.rectangle([x, y0 - h, x + bar_w - 2, y0], fill=PALETTE[ni % len(PALETTE)])
            x += bar_w
        d.text((left + gi * group_w + gap // 2, y0 + 6), s, fill="black", font=font)
    lx = left + group_w * len(sets) + 12
    for ni, n in enumerate(names):  # legend
        y = 40 + ni * 16
        d.rectangle([lx, y, lx + 10, y + 10], fill=PALETTE[ni % len(PALETTE)])
        d.text((lx + 16, y - 1), n, fill="black", font=font)
    img.save(path)
    return path
