"""Meetings: a guided /meeting flow (a leaders', members' or assignment meeting), RSVP buttons with
live counts, reminders, /meetings, reschedule and cancel (everyone told once), an .ics calendar file
per meeting, attendance ([มาแล้ว] during the meeting, or the coordinator's list) and the minutes:
decisions and action items, each of which becomes a task of the work plan (handlers.plan).

Inside: ``cards`` (settings, the card, who is told) <- ``create`` (/meeting), ``manage`` (RSVPs,
/meetings, reschedule, cancel, reminders, the summary section), ``attendance``, ``minutes``.
Other features use ``reminder_offsets`` (the settings) and ``KIND_LABELS`` (the three kinds' names, for the
goals' attendance and meetings targets) through this package.
"""

from __future__ import annotations

from bot.router import Router
from handlers.meetings import attendance, create, export, manage, minutes
from handlers.meetings.cards import KIND_LABELS, reminder_offsets
from handlers.meetings.export import meeting_rows, year_meetings_xlsx

__all__ = ["KIND_LABELS", "ORDER", "meeting_rows", "reminder_offsets", "router", "year_meetings_xlsx"]

ORDER = 40
router = Router()
for _part in (create, manage, attendance, minutes, export):
    router.include(_part.router)
