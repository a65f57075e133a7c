"""Reading and writing .xlsx tables with openpyxl.

Reading is forgiving about what spreadsheets do to values (dates as date cells or as text in the common
Chinese forms, yes/no as 是/否, numbers typed as text) and strict about everything else: an unknown
column, a missing required column or a value that cannot be read is an error naming the row and the
column header, never a silent guess.  A long number such as an ID number stored as a *number* cell has
already lost digits in Excel, so it is refused with that explanation.

Writing produces the layout agencies publish: a title row (merged across the table), optional subtitle,
a bold header row that stays frozen when scrolling and repeats on every printed page, column widths that
fit Chinese text, an autofilter on the header.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "HEADER_SCAN_ROWS",
    "XLSX_MEDIA_TYPE",
    "CellError",
    "Problem",
    "SheetRows",
    "Table",
    "cell_bool",
    "cell_date",
    "cell_int",
    "cell_text",
    "display_width",
    "open_workbook",
    "read_rows",
    "split_list",
    "workbook_bytes",
    "write_table",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN_ROWS = 10  # a title row or two may sit above the header
MAX_ROWS = 100_000  # one import; larger files go through the batch screening CLI


class CellError(ValueError):
    """A value that cannot be read; ``str(err)`` is the Chinese reason."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One error of a file: sheet, Excel row number (1-based; 0 = the file itself), column header, reason."""

    sheet: str
    row: int
    column: str
    message: str

    @property
    def path(self) -> str:
        """``sheet!row!column``: the ``path`` of the API's field errors."""
        return f"{self.sheet}!{self.row}!{self.column}"


# ---------------------------------------------------------------- cells
_SPACES = re.compile(r"[\s\u3000]+")


def cell_text(value: Any) -> str | None:
    """The cell as trimmed text; ``None`` when empty.  Whole floats lose their ``.0`` (Excel stores 3 as 3.0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def cell_code(value: Any, what: str) -> str | None:
    """An identifier that must be typed as text (ID number, credit code): a number cell has lost digits."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e15:
        raise CellError(f"{what}是数字格式，Excel 已丢失末几位；请把该列设为“文本”格式后重新填写")
    text = cell_text(value)
    return None if text is None else text.replace(" ", "").upper()


_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_ONLY = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*月?$")


def cell_date(value: Any) -> dt.date | None:
    """A date cell, or text ``2024-07-01`` / ``2024/7/1`` / ``2024.7.1`` / ``2024年7月1日`` / ``20240701``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError("日期应为日期格式或 YYYY-MM-DD 文本，不能是数字")
    text = str(value).strip().replace(" ", "")
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise CellError(f"日期 {text} 不存在") from None
    if _MONTH_ONLY.match(text):
        raise CellError(f"日期 {text} 只写到月，请写到日，如 2024-07-01")
    raise CellError(f"无法识别的日期 {text}，应为 YYYY-MM-DD，如 2024-07-01")


def cell_int(value: Any, *, low: int | None = None, high: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError("应为整数")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"应为整数，收到 {value}")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError(f"应为整数，收到“{text}”")
        number = int(text)
    if low is not None and number < low:
        raise CellError(f"不能小于 {low}")
    if high is not None and number > high:
        raise CellError(f"不能大于 {high}")
    return number


_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓", "已授权", "已验收", "已投产"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×", "✗"}


def cell_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return None
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise CellError(f"应填“是”或“否”，收到“{text}”")


_LIST_SEPARATORS = re.compile(r"[、,，;；/\n]+")


def split_list(value: Any) -> list[str]:
    """``人工智能研究、人工智能应用`` → two items (separators 、 , ， ; ； / and line breaks)."""
    text = cell_text(value)
    if text is None:
        return []
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


# ---------------------------------------------------------------- reading a sheet
@dataclass
class SheetRows:
    """The data rows of one sheet, keyed by canonical header: ``rows`` is ``[(excel_row, {header: value})]``."""

    sheet: str
    header_row: int
    columns: dict[str, int]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def open_workbook(data: bytes, *, read_only: bool = True) -> Any:
    """An openpyxl workbook from bytes; a file that is not .xlsx is a :class:`CellError` with a Chinese reason."""
    if not data:
        raise CellError("文件为空")
    if not data.startswith(b"PK"):
        raise CellError("不是 .xlsx 文件（Excel 2007 及以后的格式）；.xls 请在 Excel 中另存为 .xlsx")
    try:
        return load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise CellError(f"无法读取 .xlsx 文件：{type(exc).__name__}") from None


def _header_key(value: Any) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    return re.sub(r"[\s\u3000*＊]", "", text).replace("（", "(").replace("）", ")")


def read_rows(
    ws: Worksheet, sheet: str, headers: Sequence[str], required: Iterable[str], aliases: dict[str, str]
) -> tuple[SheetRows | None, list[Problem]]:
    """Find the header row (within the first rows), check the columns, return the non-empty data rows.

    ``headers`` are the canonical names, ``aliases`` maps other spellings to them; a ``*`` marking a
    required column and spaces are ignored.
    """
    known = {_header_key(h): h for h in headers}
    known.update({_header_key(a): h for a, h in aliases.items()})
    problems: list[Problem] = []
    grid = ws.iter_rows(values_only=True)
    header_row = 0
    header_cells: tuple[Any, ...] = ()
    scanned: list[tuple[Any, ...]] = []
    for number, cells in enumerate(grid, start=1):
        scanned.append(cells)
        keys = [_header_key(c) for c in cells]
        if sum(1 for k in keys if k in known) >= 2:
            header_row, header_cells = number, cells
            break
        if number >= HEADER_SCAN_ROWS:
            break
    if not header_row:
        problems.append(
            Problem(sheet, 1, "", f"找不到表头行：前 {HEADER_SCAN_ROWS} 行中没有“{'”“'.join(headers[:3])}”等列名")
        )
        return None, problems
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_cells, start=1):
        key = _header_key(cell)
        if key is None:
            continue
        canonical = known.get(key)
        label = cell_text(cell) or ""
        if canonical is None:
            problems.append(Problem(sheet, header_row, label, "不认识的列；请删除该列或改用模板中的列名"))
        elif canonical in columns:
            problems.append(Problem(sheet, header_row, label, f"与第 {columns[canonical]} 列重复"))
        else:
            columns[canonical] = index
    for name in required:
        if name not in columns:
            problems.append(Problem(sheet, header_row, name, "缺少必填列"))
    result = SheetRows(sheet, header_row, columns)
    for number, cells in enumerate(grid, start=header_row + 1):
        values = {h: (cells[i - 1] if i - 1 < len(cells) else None) for h, i in columns.items()}
        if all(cell_text(v) is None for v in values.values()):
            continue
        if len(result.rows) >= MAX_ROWS:
            problems.append(Problem(sheet, number, "", f"行数超过上限 {MAX_ROWS}，请分批导入"))
            break
        result.rows.append((number, values))
    return result, problems


# ---------------------------------------------------------------- writing
def display_width(value: Any) -> int:
    """Columns an Excel cell needs: East Asian wide characters count two."""
    text = cell_text(value) or ""
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


@dataclass
class Table:
    """One published table: ``title`` (merged first row), optional ``subtitle`` lines, Chinese ``headers``,
    ``rows``; ``formats`` gives number formats by header (e.g. ``{"通过率": "0.0%"}``); ``notes`` go below."""

    sheet: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    subtitle: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    max_width: int = 50


_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
FONT_NAME = "宋体"


def _cells(values: Sequence[Any]) -> list[Any]:
    # Excel cannot hold most control characters (openpyxl raises): drop them from text we did not write
    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]


def write_table(ws: Worksheet, table: Table) -> int:
    """Write ``table`` into ``ws``; returns the Excel row number of the header."""
    ncols = max(1, len(table.headers))
    last = get_column_letter(ncols)
    ws.title = table.sheet
    ws.append(_cells([table.title]))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(name=FONT_NAME, bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    for line in table.subtitle:
        ws.append(_cells([line]))
        r = ws.max_row
        ws.merge_cells(f"A{r}:{last}{r}")
        ws.cell(r, 1).font = Font(name=FONT_NAME, size=11)
        ws.cell(r, 1).alignment = Alignment(horizontal="left", vertical="center")
    ws.append(_cells(table.headers))
    header: int = ws.max_row
    for c in range(1, ncols + 1):
        cell = ws.cell(header, c)
        cell.font = Font(name=FONT_NAME, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    formats = {table.headers.index(h) + 1: f for h, f in table.formats.items() if h in table.headers}
    for row in table.rows:
        ws.append(_cells(row))
        r = ws.max_row
        for c in range(1, ncols + 1):
            cell = ws.cell(r, c)
            cell.border = _BORDER
            cell.font = Font(name=FONT_NAME)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            if c in formats:
                cell.number_format = formats[c]
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for line in table.notes:
        ws.append(_cells([line]))
        r = ws.max_row
        ws.merge_cells(f"A{r}:{last}{r}")
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top")
    for c, name in enumerate(table.headers, start=1):
        widest = max([display_width(name), *(display_width(row[c - 1]) for row in table.rows if c - 1 < len(row))])
        ws.column_dimensions[get_column_letter(c)].width = min(table.max_width, max(6, widest + 2))
    ws.freeze_panes = ws.cell(header + 1, 1)
    ws.print_title_rows = f"{header}:{header}"
    ws.page_setup.orientation = "landscape" if ncols > 6 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    if table.rows:
        ws.auto_filter.ref = f"A{header}:{last}{header + len(table.rows)}"
    return header


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table, as .xlsx bytes."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    for i, table in enumerate(tables):
        ws = first if i == 0 else wb.create_sheet()
        write_table(ws, table)
    return save(wb)


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
