"""Season statistics for the bureau and the agencies: applications and pass rates by document, level, unit and
route, year over year; charts rendered on the server as plain SVG; the numbers as .xlsx.  See docs/statistics.md.

* :mod:`zhicheng.stats.queries`: the SQL aggregates (``application_stats``), asked through ``Rights``.
* :mod:`zhicheng.stats.charts`: ``bar_chart`` / ``line_chart`` (pure functions returning SVG text) and
  ``stats_chart`` for a :class:`~zhicheng.stats.queries.Stats`.
* :mod:`zhicheng.stats.export`: ``stats_workbook``.
"""
