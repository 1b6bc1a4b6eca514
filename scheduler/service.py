"""APScheduler 3.11 in front of the ``scheduled_tasks`` table.

The database is the source of truth; APScheduler only holds timers. At start-up every
pending row becomes one job whose id is the task key (deterministic: rebuilding adds
nothing twice), and the jobs are reconciled again whenever a transaction touched tasks
(``app.on_scheduler``) and every ``reconcile_seconds`` (tasks scheduled by another
process). A job runs :meth:`bot.app.App.run_task` for its row, which claims the row, so
two processes firing the same job still run the task once.

Misfires, on purpose: APScheduler's default grace is one second, after which a late job
is silently skipped, which would leave the row pending forever after a restart. Task
jobs have ``misfire_grace_time=None`` (always run, however late) and ``coalesce=True``;
the *task handler* decides what lateness means (a reminder whose meeting has started is
dropped with a note; a weekly summary reports the latest period once). The reconcile job
has a short grace and coalesces: a missed reconcile is simply replaced by the next.

Failover: every ``overdue_seconds`` each instance also runs the pending tasks that are more
than ``overdue_grace`` late and that no transaction is running (:class:`storage.ops.OverdueRepo`):
a task whose job only a killed instance held (scheduled there less than a reconcile ago), or
whose run died with it, runs on a survivor within seconds. Lateness is then the task
handler's business (a meeting reminder is sent late, marked as late, unless its meeting has
started).

The application's clock may be simulated (:class:`bot.clock.ManualClock`): job times are
translated to real time as ``real_now + (run_at - app_now)``; after moving a manual clock
call :meth:`SchedulerService.clock_moved`. The console does not use this service: it runs
:meth:`bot.app.App.run_due_tasks` after every ``:clock``, which runs the same rows the
same way.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storage.ops import OverdueRepo
from storage.runtime import ScheduledTask, TaskRepo

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

RECONCILE_JOB = "__reconcile__"
OVERDUE_JOB = "__overdue__"


def task_job_options() -> dict[str, object]:
    """Options for every task job (see the module docstring for why)."""
    return {"misfire_grace_time": None, "coalesce": True, "max_instances": 1, "replace_existing": True}


class SchedulerService:
    """Keeps one APScheduler job per pending scheduled task."""

    def __init__(self, app: App, *, reconcile_seconds: float = 60.0, overdue_seconds: float = 2.0,
                 overdue_grace: float = 3.0, scheduler: AsyncIOScheduler | None = None) -> None:
        self.app = app
        self.reconcile_seconds = reconcile_seconds
        self.overdue_seconds = overdue_seconds
        self.overdue_grace = timedelta(seconds=overdue_grace)
        self.scheduler = scheduler or AsyncIOScheduler(timezone=timezone.utc)
        self._pending_sync: asyncio.Task[None] | None = None
        self._resync = False
        self._running: set[asyncio.Task[object]] = set()
        self.ran = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the scheduler and build the jobs from the database."""
        self.scheduler.start()
        self.scheduler.add_job(self.reconcile, IntervalTrigger(seconds=self.reconcile_seconds), id=RECONCILE_JOB,
                               misfire_grace_time=max(1, int(self.reconcile_seconds // 2)), coalesce=True,
                               max_instances=1, replace_existing=True)
        if self.overdue_seconds > 0:
            self.scheduler.add_job(self.run_overdue, IntervalTrigger(seconds=self.overdue_seconds), id=OVERDUE_JOB,
                                   misfire_grace_time=1, coalesce=True, max_instances=1, replace_existing=True)
        self.app.on_scheduler(self.poke)
        await self.app.ensure_periodic()  # the routers' periodic jobs, re-created if lost
        await self.reconcile()

    def shutdown(self) -> None:
        """Stop at once; a task interrupted mid-way rolls back and runs again at the next start."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking new jobs, let running tasks finish (up to ``timeout``), then shut down."""
        if self.scheduler.running:
            self.scheduler.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            await asyncio.wait(running, timeout=timeout)
        self.shutdown()

    # ------------------------------------------------------------ jobs

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs() if job.id not in (RECONCILE_JOB, OVERDUE_JOB)}

    def _fire_time(self, run_at: datetime) -> datetime:
        """The real time at which a task due at ``run_at`` (application time) should fire."""
        delay = max(timedelta(0), run_at - self.app.clock.now())
        return datetime.now(timezone.utc) + delay

    async def reconcile(self) -> None:
        """Make the jobs match the pending rows: add or move changed ones, drop finished ones."""
        async with self.app.db.transaction() as conn:
            tasks = await TaskRepo(conn).pending()
        wanted = {task.key: task for task in tasks}
        for job_id in self.job_ids() - set(wanted):
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
        for task in tasks:
            fire_at = self._fire_time(task.run_at)
            job = self.scheduler.get_job(task.key)
            # (a job added before the scheduler started has no next_run_time yet: a reconcile may run then)
            if (job is not None and getattr(job, "next_run_time", None) is not None
                    and job.kwargs.get("run_at") == task.run_at.isoformat()):
                continue  # unchanged
            self.scheduler.add_job(self._fire, DateTrigger(run_date=fire_at), id=task.key, name=task.kind,
                                   kwargs={"key": task.key, "run_at": task.run_at.isoformat()},
                                   **task_job_options())

    async def run_overdue(self) -> int:
        """Run the tasks more than ``overdue_grace`` late that nobody is running; how many ran here."""
        ran = 0
        try:
            async with self.app.db.transaction() as conn:
                late = await OverdueRepo(conn).tasks(self.app.clock.now() - self.overdue_grace)
            for task in late:
                ran += await self.app.run_task(task)
        except Exception:
            log.exception("running overdue tasks failed; the next round retries")
        self.ran += ran
        return ran

    def poke(self) -> None:
        """A transaction changed tasks: reconcile soon (coalescing bursts of changes)."""
        if self._pending_sync is not None and not self._pending_sync.done():
            self._resync = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._pending_sync = loop.create_task(self._sync())

    async def _sync(self) -> None:
        while True:
            self._resync = False
            try:
                await self.reconcile()
            except Exception:
                log.exception("reconciling scheduled tasks failed; the periodic reconcile will retry")
            if not self._resync:
                return

    async def clock_moved(self) -> None:
        """The application's (manual) clock jumped: recompute every job's real fire time."""
        for job_id in self.job_ids():
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
        await self.reconcile()

    async def _fire(self, key: str, run_at: str) -> None:
        current = asyncio.current_task()
        if current is not None:
            self._running.add(current)
            current.add_done_callback(self._running.discard)
        async with self.app.db.transaction() as conn:
            task: ScheduledTask | None = await TaskRepo(conn).get(key)
        if task is None or task.status != "pending":
            return  # done by another process, cancelled, or already run
        if task.run_at > self.app.clock.now():
            await self.reconcile()  # moved later meanwhile (or a manual clock lags): re-arm
            return
        self.ran += await self.app.run_task(task)
