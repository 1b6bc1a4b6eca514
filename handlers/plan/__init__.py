"""The work plan: /plan (projects and their tasks), /tasks, the task card its owner taps
([เริ่มแล้ว] [เสร็จแล้ว] [ติดขัด…]), reminders before the due date, overdue notices and the summary's
work-plan section.

Inside: ``cards`` (owners, the card, assigning a task, linking what was done) <- ``tasks`` (the card's
buttons, the reminder and overdue notice, /tasks, the summary section) and ``projects`` (/plan and its flows). Other features use it through this package: meetings turn action items into
tasks (``parse_owner``, ``assign_task``), /log and delivery confirmations link what was done
(``take_plan_ref``, ``plan_target``, ``link_done``).
"""

from __future__ import annotations

from bot.router import Router
from handlers.plan import projects, tasks
from handlers.plan.projects import assigned_text, owner_from
from handlers.plan.cards import MAX_TITLE as MAX_TASK_TITLE
from handlers.plan.cards import Owner, assign_task, link_done, parse_owner, plan_target, read_due, take_plan_ref

__all__ = ["MAX_TASK_TITLE", "ORDER", "Owner", "assign_task", "assigned_text", "link_done", "owner_from",
           "parse_owner", "plan_target", "read_due", "router", "take_plan_ref"]

ORDER = 45
router = Router()
for _part in (projects, tasks):
    router.include(_part.router)
