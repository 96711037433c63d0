"""Draw the app icons (static/icons/icon-192.png, icon-512.png) with Pillow.

    python -m coordination.offline.icons

A white report sheet with a red storm mark on the app's blue, inside the central
80 % so the icon stays whole when a launcher masks it (manifest purpose "maskable").
"""
from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent.parent / "static" / "icons"
BLUE, WHITE, RED, GREY = (13, 110, 253), (255, 255, 255), (220, 53, 69), (173, 181, 189)


def draw(size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), BLUE)
    d = ImageDraw.Draw(img)
    u = size / 100
    d.rounded_rectangle([30 * u, 20 * u, 70 * u, 80 * u], radius=4 * u, fill=WHITE)
    for i, y in enumerate((34, 44, 54, 64)):
        d.rounded_rectangle([36 * u, y * u, (64 if i % 2 else 58) * u, (y + 4) * u],
                            radius=2 * u, fill=GREY)
    d.ellipse([55 * u, 55 * u, 79 * u, 79 * u], fill=RED, outline=WHITE, width=max(1, int(2 * u)))
    d.polygon([(68 * u, 59 * u), (61 * u, 68 * u), (66 * u, 68 * u), (63 * u, 75 * u),
               (72 * u, 64 * u), (67 * u, 64 * u)], fill=WHITE)
    return img


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(ICONS / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
