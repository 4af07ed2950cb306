"""Draw the LaborBridge icon with QPainter and write resources/icons/laborbridge.png and .ico.

Run once after changing the drawing; the generated files are committed so that a build needs no
image library. The .ico holds PNG-compressed images (16–256 px), which Windows Vista and later read.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw(size: int) -> QImage:
    """The icon at one pixel size: a white suspension bridge over a blue tile, an orange sun rising."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    margin = s * 0.04
    tile = QRectF(margin, margin, s - 2 * margin, s - 2 * margin)
    gradient = QLinearGradient(tile.topLeft(), tile.bottomRight())
    gradient.setColorAt(0.0, QColor("#1e88e5"))
    gradient.setColorAt(1.0, QColor("#0d47a1"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(gradient)
    p.drawRoundedRect(tile, s * 0.18, s * 0.18)

    # The sun (the east) sits behind the arch.
    p.setBrush(QColor("#ffb300"))
    sun_r = s * 0.13
    p.drawEllipse(QPointF(s * 0.5, s * 0.36), sun_r, sun_r)

    white = QColor("#ffffff")
    deck_y = s * 0.66
    left, right = s * 0.16, s * 0.84
    arch = QPainterPath(QPointF(left, deck_y))
    arch.quadTo(QPointF(s * 0.5, s * 0.06), QPointF(right, deck_y))
    # Thicker strokes at small sizes so the bridge stays legible at 16 px.
    stroke = max(1.5, s * (0.075 if size <= 32 else 0.055))
    pen = QPen(white, stroke, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(arch)
    p.drawLine(QPointF(s * 0.1, deck_y), QPointF(s * 0.9, deck_y))
    if size >= 32:
        hanger = QPen(white, max(1.0, s * 0.025), Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
        p.setPen(hanger)
        for fx in (0.3, 0.4, 0.5, 0.6, 0.7):
            x = s * fx
            t = (x - left) / (right - left)
            # Point on the quadratic curve at parameter t (x is linear in t for this symmetric curve).
            y = (1 - t) ** 2 * deck_y + 2 * (1 - t) * t * (s * 0.06) + t ** 2 * deck_y
            p.drawLine(QPointF(x, y + stroke / 2), QPointF(x, deck_y))
    # Water line.
    p.setPen(QPen(QColor(255, 255, 255, 150), max(1.0, s * 0.03), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(s * 0.24, s * 0.8), QPointF(s * 0.76, s * 0.8))
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO container whose entries are PNG streams (width/height byte 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, blob in images:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs it
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    (ICON_DIR / "laborbridge.png").write_bytes(png_bytes(draw(256)))
    (ICON_DIR / "laborbridge.ico").write_bytes(ico_bytes([(n, png_bytes(draw(n))) for n in ICO_SIZES]))
    print(f"wrote {ICON_DIR / 'laborbridge.png'} and {ICON_DIR / 'laborbridge.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
