"""Draws a :class:`db.services.lists.PlacementList` with QPainter on any paged device (QPrinter, QPdfWriter).

The same code serves the print preview, the printer and the PDF file, so what the officer sees is
what is signed. Layout works in device pixels measured on the device itself: column widths from the
text they hold (ID numbers, dates and phones never wrap; names, employers and jobs wrap inside their
cell), rows never split across pages, the table header repeated on every page, "第 X 页 共 Y 页" in
the footer, and totals plus the signature block at the end, never alone on a page without rows.
Only QtGui is used, so a PDF can be rendered in a worker thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from core.access import Actor
from core.i18n import UserError, tr
from db.engine import Database
from db.services.lists import PlacementList, save_file
from ui.resources import register_cjk_font

Progress = Callable[[int, str], None]

MARGINS_MM = QMarginsF(12, 12, 12, 10)        # left, top, right, bottom
PDF_DPI = 300
# Layout happens in a fixed 1200-dpi space with pixel-sized fonts, then the painter is scaled to the
# device: the preview (printer resolution), paper and PDF wrap and paginate identically.
LAYOUT_DPI = 1200
TABLE_PT = 9.5
MIN_TABLE_PT = 6.5
A4_MM = (210.0, 297.0)
_WRAP = Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextWrapAnywhere
_ALIGN = {"left": Qt.AlignmentFlag.AlignLeft, "center": Qt.AlignmentFlag.AlignHCenter,
          "right": Qt.AlignmentFlag.AlignRight}


def ensure_gui_app() -> None:
    """An application object (fonts need one) for the command line; offscreen when there is no display."""
    if QGuiApplication.instance() is not None:
        return
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # A QApplication rather than a QGuiApplication: widgets created later in the same process (tests,
    # the self-test) need one, and a process can only ever have one application object.
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("LaborBridge")
    app.setApplicationName("LaborBridge")
    ensure_gui_app.app = app  # type: ignore[attr-defined]  # keep it alive for the process


def _font(family: str, pt: float, bold: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(round(pt * LAYOUT_DPI / 72))
    # WenQuanYi Micro Hei has no bold face; Qt's synthetic bold draws glyphs twice, which doubles the
    # text a PDF reader extracts. Weight is shown by size and letter spacing instead.
    if bold:
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    # Unhinted metrics are the same at every resolution: the preview paginates like the PDF.
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


@dataclass
class _Fonts:
    bureau: QFont
    title: QFont
    running: QFont
    info: QFont
    head: QFont
    cell: QFont
    foot: QFont
    sign: QFont


@dataclass
class _Page:
    rows: list[int]
    last: bool = False


class ListRenderer:
    """Lays a list out on a device, then paints it page by page."""

    def __init__(self, plist: PlacementList, family: str | None = None) -> None:
        self.plist = plist
        self.family = family or register_cjk_font()

    # --- page setup -------------------------------------------------------------------------
    def preferred_orientation(self) -> QPageLayout.Orientation:
        """Portrait when the columns fit a portrait A4 at the normal size, otherwise landscape."""
        px_per_mm = LAYOUT_DPI / 25.4
        portrait_w = (A4_MM[0] - MARGINS_MM.left() - MARGINS_MM.right()) * px_per_mm
        # Portrait only when wrapping columns keep most of their width: a name or an employer broken
        # over three lines reads worse than a landscape page.
        widths = self._column_widths(self._probe(), _font(self.family, TABLE_PT),
                                     _font(self.family, TABLE_PT, True), portrait_w, px_per_mm, shrink=0.75)
        return QPageLayout.Orientation.Portrait if widths is not None else QPageLayout.Orientation.Landscape

    @staticmethod
    def _probe() -> QImage:
        """A device at the layout resolution to measure text on (any thread may create one)."""
        probe = QImage(4, 4, QImage.Format.Format_ARGB32)
        dpm = round(LAYOUT_DPI / 0.0254)
        probe.setDotsPerMeterX(dpm)
        probe.setDotsPerMeterY(dpm)
        return probe

    def page_layout(self) -> QPageLayout:
        return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), self.preferred_orientation(), MARGINS_MM,
                           QPageLayout.Unit.Millimeter)

    def setup(self, device: QPagedPaintDevice) -> None:
        device.setPageLayout(self.page_layout())

    # --- measuring --------------------------------------------------------------------------
    def _column_widths(self, device, cell: QFont, head: QFont, width: float,  # type: ignore[no-untyped-def]
                       px_per_mm: float, shrink: float = 0.0) -> list[float] | None:
        """Column widths filling ``width``, or None when the columns cannot fit at this font size."""
        fm, hm = QFontMetricsF(cell, device), QFontMetricsF(head, device)
        pad = 1.4 * px_per_mm  # 0.2 mm more than drawn: a text that just fits never wraps by rounding
        specs = self.plist.specs
        need: list[float] = []       # the width each column asks for
        least: list[float] = []      # the narrowest it may become (wrapping columns only shrink)
        ideal: list[float] = []      # where spare room goes first: fewer wrapped names and employers
        for c, spec in enumerate(specs):
            advances = sorted(fm.horizontalAdvance(row[c]) for row in self.plist.rows) or [0.0]
            header = hm.horizontalAdvance(spec.header) + 2 * pad
            widest = advances[-1] + 2 * pad
            if not spec.wrap:
                need.append(max(widest, header))
                least.append(need[-1])
                ideal.append(need[-1])
                continue
            # A wrapping column is sized for 98% of its cells: one 50-character minority name wraps
            # in its cell instead of taking the page from every other column.
            floor = max(fm.horizontalAdvance("国" * 4), hm.horizontalAdvance(spec.header[:3])) + 2 * pad
            typical = advances[int(0.98 * (len(advances) - 1))] + 2 * pad
            want = max(typical, header, min(widest, floor))
            need.append(want)
            least.append(min(want, max(floor, shrink * want)))
            ideal.append(max(want, min(widest, 2 * want)))
        total = sum(need)
        if total <= width:
            extra = width - total
            grow = [i - n for i, n in zip(ideal, need)]
            wanted = sum(grow)
            if wanted >= extra:
                return [n + extra * g / wanted for n, g in zip(need, grow)]
            need = list(ideal)
            extra -= wanted
            return [n + extra * n / sum(need) for n in need]
        fixed = sum(n for n, s in zip(need, specs) if not s.wrap)
        floor_sum = sum(m for m, s in zip(least, specs) if s.wrap)
        room = width - fixed
        if room < floor_sum:
            return None
        slack = sum(n - m for n, m, s in zip(need, least, specs) if s.wrap)
        spare = room - floor_sum
        return [n if not s.wrap else m + (spare * (n - m) / slack if slack else 0.0)
                for n, m, s in zip(need, least, specs)]

    def _fonts(self, table_pt: float) -> _Fonts:
        f = self.family
        return _Fonts(bureau=_font(f, 13), title=_font(f, 20, True), running=_font(f, 10), info=_font(f, 10),
                      head=_font(f, table_pt, True), cell=_font(f, table_pt), foot=_font(f, 8.5),
                      sign=_font(f, 11))

    # --- painting ---------------------------------------------------------------------------
    def render(self, device: QPagedPaintDevice, progress: Progress | None = None) -> int:
        """Paint the whole list on ``device`` (already set up); returns the number of pages."""
        painter = QPainter()
        if not painter.begin(device):
            raise UserError("无法在打印设备上开始绘制（打印机不可用或文件无法写入）。",
                            "Cannot start drawing on the print device (printer unavailable or file not writable).",
                            code=2)
        try:
            return self._paint(painter, device, progress)
        finally:
            painter.end()

    def _paint(self, painter: QPainter, device: QPagedPaintDevice, progress: Progress | None) -> int:
        sx, sy = device.logicalDpiX() / LAYOUT_DPI, device.logicalDpiY() / LAYOUT_DPI
        painter.scale(sx, sy)
        mm = LAYOUT_DPI / 25.4
        page_w, page_h = device.width() / sx, device.height() / sy
        probe = self._probe()
        table_pt = TABLE_PT
        while True:
            fonts = self._fonts(table_pt)
            widths = self._column_widths(probe, fonts.cell, fonts.head, page_w, mm)
            if widths is not None or table_pt <= MIN_TABLE_PT:
                break
            table_pt -= 0.5
        if widths is None:  # too many columns even at the smallest size: squeeze proportionally
            raw = self._column_widths(probe, fonts.cell, fonts.head, 1e9, mm) or [1.0] * len(self.plist.columns)
            widths = [w * page_w / sum(raw) for w in raw]

        fm = {name: QFontMetricsF(getattr(fonts, name), probe) for name in fonts.__dataclass_fields__}
        pad_x, pad_y = 1.2 * mm, 1.1 * mm
        specs = self.plist.specs
        rows = self.plist.rows

        # header row height (headers may wrap inside narrow columns)
        def cell_height(metrics: QFontMetricsF, text: str, w: float, wrap: bool) -> float:
            inner = w - 2 * pad_x
            if not wrap or metrics.horizontalAdvance(text) <= inner:
                return metrics.height()
            return metrics.boundingRect(QRectF(0, 0, inner, 1e6), int(_WRAP), text).height()

        head_h = max(cell_height(fm["head"], s.header, w, True) for s, w in zip(specs, widths)) + 2 * pad_y
        row_h: list[float] = []
        for i, row in enumerate(rows):
            h = fm["cell"].height()
            for spec, w, text in zip(specs, widths, row):
                if spec.wrap:
                    h = max(h, cell_height(fm["cell"], text, w, True))
            row_h.append(h + 2 * pad_y)
            if progress and i % 100 == 0:
                progress(int(30 * i / max(1, len(rows))), tr("正在排版…", "Laying out…"))

        # vertical budget
        gap = 2.5 * mm
        first_top = (fm["bureau"].height() + 1.5 * mm + fm["title"].height() * 1.3 + 2 * mm
                     + sum(self._info_height(fm["info"], line, page_w, mm) for line in self.plist.info or [""])
                     + gap)
        other_top = fm["running"].height() + gap
        foot_h = fm["foot"].height() + 3 * mm
        totals_h = cell_height(fm["cell"], self.plist.end_text, page_w, True) + 2 * pad_y
        sign_h = 6 * mm + fm["sign"].height() * 2 + 14 * mm   # room to sign and stamp

        pages = self._paginate(row_h, page_h - first_top - foot_h - head_h,
                               page_h - other_top - foot_h - head_h, totals_h + sign_h)
        total_pages = len(pages)
        table_w = sum(widths)
        grid = QPen(QColor("#000000"))
        grid.setWidthF(0.25 * mm)
        thin = QPen(QColor("#000000"))
        thin.setWidthF(0.12 * mm)
        for p, page in enumerate(pages):
            if p:
                device.newPage()
            self._paint_top(painter, fonts, fm, page_w, mm, first=(p == 0))
            y = first_top if p == 0 else other_top
            # table header
            painter.fillRect(QRectF(0, y, table_w, head_h), QColor("#EDEDED"))
            painter.setFont(fonts.head)
            x = 0.0
            for spec, w in zip(specs, widths):
                painter.drawText(QRectF(x + pad_x, y + pad_y, w - 2 * pad_x, head_h - 2 * pad_y),
                                 int(Qt.AlignmentFlag.AlignCenter | _WRAP), spec.header)
                x += w
            top = y
            y += head_h
            painter.setPen(thin)
            painter.drawLine(QPointF(0, y), QPointF(table_w, y))
            painter.setFont(fonts.cell)
            for i in page.rows:
                h = row_h[i]
                x = 0.0
                for spec, w, text in zip(specs, widths, rows[i]):
                    flags = _ALIGN[spec.align] | Qt.AlignmentFlag.AlignVCenter
                    if spec.wrap:
                        flags |= _WRAP
                    painter.drawText(QRectF(x + pad_x, y + pad_y, w - 2 * pad_x, h - 2 * pad_y), int(flags), text)
                    x += w
                y += h
                painter.drawLine(QPointF(0, y), QPointF(table_w, y))
            if page.last:
                painter.drawText(QRectF(pad_x, y + pad_y, table_w - 2 * pad_x, totals_h - 2 * pad_y),
                                 int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | _WRAP),
                                 self.plist.end_text)
                y += totals_h
                painter.drawLine(QPointF(0, y), QPointF(table_w, y))
            # vertical rules (not through the totals row, which spans the table) and the frame
            x = 0.0
            rows_bottom = y - (totals_h if page.last else 0)
            for w in widths[:-1]:
                x += w
                painter.drawLine(QPointF(x, top), QPointF(x, rows_bottom))
            painter.setPen(grid)
            painter.drawRect(QRectF(0, top, table_w, y - top))
            painter.setPen(QPen(QColor("#000000")))
            if page.last:
                self._paint_signatures(painter, fonts, fm, y + 6 * mm, table_w, mm)
            self._paint_footer(painter, fonts, fm, p + 1, total_pages, page_w, page_h)
            if progress:
                progress(30 + int(70 * (p + 1) / total_pages), tr(f"正在绘制第 {p + 1} 页…", f"Drawing page {p + 1}…"))
        return total_pages

    @staticmethod
    def _paginate(row_h: list[float], first_room: float, other_room: float, end_h: float) -> list[_Page]:
        """Rows onto pages without splitting any; the end block (totals + signatures) on the last page."""
        pages: list[_Page] = [_Page([])]
        room, used = first_room, 0.0
        for i, h in enumerate(row_h):
            if pages[-1].rows and used + h > room:
                pages.append(_Page([]))
                room, used = other_room, 0.0
            pages[-1].rows.append(i)
            used += h
        if used + end_h > room:
            # Carry the last rows over so the signatures never stand on a page of their own.
            last = pages[-1].rows
            k = min(3, len(last) - 1)
            moved = last[len(last) - k:] if k > 0 else []
            del last[len(last) - len(moved):]
            pages.append(_Page(moved))
        pages[-1].last = True
        return pages

    def _paint_top(self, painter: QPainter, fonts: _Fonts, fm: dict[str, QFontMetricsF], page_w: float,
                   mm: float, *, first: bool) -> float:
        plist = self.plist
        center = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        if not first:
            painter.setFont(fonts.running)
            painter.drawText(QRectF(0, 0, page_w, fm["running"].height()), center,
                             f"{plist.bureau}　{plist.title}" + tr("（续）", " (continued)"))
            return fm["running"].height()
        y = 0.0
        painter.setFont(fonts.bureau)
        painter.drawText(QRectF(0, y, page_w, fm["bureau"].height()), center, plist.bureau)
        y += fm["bureau"].height() + 1.5 * mm
        painter.setFont(fonts.title)
        title_h = fm["title"].height() * 1.3
        painter.drawText(QRectF(0, y, page_w, title_h), int(Qt.AlignmentFlag.AlignCenter), plist.title)
        y += title_h + 2 * mm
        painter.setFont(fonts.info)
        made = tr(f"制表日期：{plist.made_on.isoformat()}", f"Made on {plist.made_on.isoformat()}")
        made_w = fm["info"].horizontalAdvance(made) + 2 * mm
        for k, line in enumerate(plist.info or [""]):
            h = self._info_height(fm["info"], line, page_w, mm)
            painter.drawText(QRectF(0, y, page_w - made_w, h),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
                             line)
            if k == 0:
                painter.drawText(QRectF(0, y, page_w, fm["info"].height()),
                                 int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), made)
            y += h
        return y

    def _info_height(self, metrics: QFontMetricsF, line: str, page_w: float, mm: float) -> float:
        made = tr(f"制表日期：{self.plist.made_on.isoformat()}", f"Made on {self.plist.made_on.isoformat()}")
        width = page_w - metrics.horizontalAdvance(made) - 2 * mm
        return max(metrics.height(), metrics.boundingRect(QRectF(0, 0, width, 1e6),
                                                          int(Qt.TextFlag.TextWordWrap), line).height())

    def _paint_signatures(self, painter: QPainter, fonts: _Fonts, fm: dict[str, QFontMetricsF], y: float,
                          width: float, mm: float) -> None:
        painter.setFont(fonts.sign)
        labels = [tr("经办人：", "Prepared by: "), tr("审核人：", "Checked by: "), tr("单位盖章：", "Seal: "),
                  tr("日期：", "Date: ")]
        cell = width / 4
        h = fm["sign"].height()
        line_pen = QPen(QColor("#000000"))
        line_pen.setWidthF(0.15 * mm)
        for k, label in enumerate(labels):
            x = k * cell
            painter.drawText(QRectF(x, y, cell, h), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             label)
            lx = x + fm["sign"].horizontalAdvance(label)
            if k == 3:
                painter.drawText(QRectF(lx, y, cell - (lx - x), h),
                                 int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                 tr("　　　年　　月　　日", "____ / __ / __"))
            elif k != 2:  # the seal needs room, not a line
                painter.setPen(line_pen)
                painter.drawLine(QPointF(lx, y + h), QPointF(x + cell - 6 * mm, y + h))
                painter.setPen(QPen(QColor("#000000")))

    def _paint_footer(self, painter: QPainter, fonts: _Fonts, fm: dict[str, QFontMetricsF], page: int,
                      pages: int, page_w: float, page_h: float) -> None:
        painter.setFont(fonts.foot)
        h = fm["foot"].height()
        rect = QRectF(0, page_h - h, page_w, h)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
                         tr(f"第 {page} 页 共 {pages} 页", f"Page {page} of {pages}"))
        if self.plist.notes or self.plist.check_code:
            painter.setPen(QColor("#555555"))
            if self.plist.notes:
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                 self.plist.notes[0])
            if self.plist.check_code:
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                                 self.plist.check_label)
            painter.setPen(QColor("#000000"))


# --- PDF ------------------------------------------------------------------------------------------

def write_pdf(plist: PlacementList, path: str | os.PathLike[str], progress: Progress | None = None) -> int:
    """Render the list into a PDF file at ``path`` (the bundled CJK font is embedded); pages written."""
    ensure_gui_app()
    renderer = ListRenderer(plist)
    writer = QPdfWriter(str(path))
    try:
        writer.setResolution(PDF_DPI)
        writer.setTitle(f"{plist.bureau} {plist.title}")
        writer.setCreator("LaborBridge 劳务协作桥")
        renderer.setup(writer)
        return renderer.render(writer, progress)
    finally:
        del writer  # closes the file now (Windows cannot remove or rename an open file)


def save_pdf(database: Database, actor: Actor, plist: PlacementList, path: str | os.PathLike[str],
             progress: Progress | None = None) -> Path:
    """Write the PDF through a temp file and audit the export; no partial file on any failure.

    QPdfWriter does not report a failed write (a full disk leaves 0 bytes or a cut-off file), so the
    file is checked for the PDF trailer before it is put in place."""
    return save_file(database, actor, plist, path, lambda tmp: write_pdf(plist, tmp, progress), "pdf",
                     verify=pdf_complete)


def pdf_complete(path: Path) -> bool:
    """Whether the file ends with a PDF trailer (%%EOF within its last bytes)."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 1024))
        return size > 0 and b"%%EOF" in fh.read()
