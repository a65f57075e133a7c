"""Spreadsheet exchange with title offices: import applications and experts from .xlsx (row-by-row error
report, all or nothing, idempotent), export notice lists, ballot tallies and certificate lists in the layout
agencies publish.  See docs/excel.md.

* :mod:`zhicheng.exchange.sheets`: reading cells (dates, yes/no, text typed as numbers) and writing styled
  tables (title row, Chinese headers, widths, frozen header).
* :mod:`zhicheng.exchange.layout`: the documented column layouts and the templates.
* :mod:`zhicheng.exchange.imports`: the import services (through the same domain services as the API).
* :mod:`zhicheng.exchange.exports`: the export services (through the same rights as the screens).
"""
