"""The status timeline of one application: the steps of its document's procedure, each done, current or
upcoming, with the day it was reached and the current step's deadline.

Nothing here decides anything: the steps come from the procedure data (workflow/procedures.py, the usual
path is the first action of every step), the days from the audit trail (api.views.detail's timeline).
The page draws it twice: an inline SVG picture and the same steps as a text list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from zhicheng.api.deps import BEIJING
from zhicheng.workflow.procedures import Procedure

ROW = 46  # height of one step in the picture (px in the viewBox)


@dataclass(frozen=True)
class TimelineStep:
    state: str
    label: str
    status: str  # done | current | upcoming | ended
    status_label: str
    day: dt.date | None = None
    due: dt.date | None = None


STATUS_LABELS = {"done": "已完成", "current": "当前环节", "upcoming": "未开始", "ended": "已结束"}


def usual_path(proc: Procedure) -> list[str]:
    """draft → … → certified: the first action of every step (the procedure lists the usual one first)."""
    path, state = [], "draft"
    while state not in path:
        path.append(state)
        step = proc.steps[state]
        if step.final or not step.actions:
            break
        state = step.actions[0].to
    return path


def _entered(entries: list[Any]) -> dict[str, dt.date]:
    """The last day each state was entered (audit entries with a to_state, in order)."""
    days: dict[str, dt.date] = {}
    for e in entries:
        if e.to_state:
            days[e.to_state] = e.at.astimezone(BEIJING).date()
    return days


def build(proc: Procedure, state: str, entries: list[Any], step_due: dt.date | None) -> list[TimelineStep]:
    """The steps to show for an application now in ``state`` with audit ``entries`` (views.TimelineEntry)."""
    path = usual_path(proc)
    visited = {e.to_state for e in entries if e.to_state}
    if "correction" in visited or state == "correction":
        path.insert(path.index("agency_review") + 1, "correction")
    days = _entered(entries)
    step = proc.steps[state]
    ended = step.final and state not in path
    if ended:
        # the application left the usual path (withdrawn, not recommended, rejected …): cut it where it left
        last = next((e.from_state for e in reversed(entries) if e.to_state == state), None)
        path = path[: path.index(last) + 1] if last in path else path[:1]
        path.append(state)
    here = path.index(state)
    out = []
    for i, s in enumerate(path):
        if ended and s == state:
            status = "ended"
        elif i < here or (s == state and step.final):
            status = "done"
        elif i == here:
            status = "current"
        else:
            status = "upcoming"
        out.append(
            TimelineStep(
                state=s,
                label=proc.steps[s].label,
                status=status,
                status_label=STATUS_LABELS[status],
                day=days.get(s) if status != "upcoming" else None,
                due=step_due if status == "current" else None,
            )
        )
    return out
