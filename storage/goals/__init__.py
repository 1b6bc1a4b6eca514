"""The network's plan: goals with targets bound to data, manual indicator reports, and the work
plan (projects and tasks).

``tables`` holds the tables and their vocabulary, ``goal_repo`` goals, targets and reports,
``plan_repo`` projects and tasks, ``measures`` the actual value of every kind of target, ``reviews`` the
term reviews (PDCA) and ``rollups`` the per-day totals of activities and pledges the database keeps for
the measures. Progress is never stored: it is measured from the data the bot already keeps, whenever it
is shown.
"""

from storage.goals.goal_repo import Goal, GoalRepo, Report, Target, TargetError, check_target
from storage.goals.measures import MIN_ANSWERS, ActivityGroup, MeasureRepo, Measured, PeriodTotals, local_midnight
from storage.goals.plan_repo import PlanRepo, Project, Task, TaskCounts
from storage.goals.tables import (AIMS, CUMULATIVE_KINDS, LEVEL_KINDS, LINK_ENTITIES, TARGET_KINDS, TASK_STATUSES,
                                  goal_targets, goals, indicator_reports, plan_projects, plan_task_links, plan_tasks)

__all__ = [
    "AIMS", "CUMULATIVE_KINDS", "LEVEL_KINDS", "LINK_ENTITIES", "MIN_ANSWERS", "TARGET_KINDS", "TASK_STATUSES",
    "ActivityGroup", "Goal", "GoalRepo", "MeasureRepo", "Measured", "PeriodTotals", "PlanRepo", "Project", "Report", "Target",
    "TargetError", "Task", "TaskCounts", "check_target", "goal_targets", "goals", "indicator_reports",
    "local_midnight", "plan_projects", "plan_task_links", "plan_tasks",
]
