"""``/metrics``: the bot's figures in Prometheus' text format (prometheus_client).

What is *state* is read from the shared database at each scrape (storage/ops.py), so every
instance of a deployment reports the same figures: the inbox's waiting events and their lag,
the outbox's rows by platform, state and urgency, the oldest due row, scheduled tasks that are
due and the scheduler's lag, the units billed this month per platform (LINE: its quota used),
and the live instances (their heartbeats). What *happens* is counted by each process
(Prometheus adds the ``instance`` label when it scrapes): deliveries, retries, dead letters,
rate-limit answers (429) and parked rows, per platform, from the outbox dispatcher.

Nothing here names a member, a chat or a secret: labels are platforms, states and urgencies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storage.ops import OpsRepo, OpsState

if TYPE_CHECKING:
    from bot.app import App
    from bot.outbox import OutboxDispatcher

log = logging.getLogger(__name__)

OUTBOX_STATES = ("due", "waiting", "in_flight", "dead")
URGENCIES = ("urgent", "timely", "digest")
RESULTS = ("sent", "retried", "dead", "rate_limited", "parked")


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


class _Families(Collector):
    """A collector for one scrape's ready-made families."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self.families)


def families(state: OpsState, *, now: datetime, platforms: Iterable[str],
             counters: dict[tuple[str, str], int], quotas: dict[str, tuple[int | None, int]],
             instances_alive: int | None = None) -> Iterator[Metric]:
    """The metric families of one scrape (pure: easy to test)."""
    platforms = sorted(set(platforms) | {p for p, _s, _u in state.outbox} | {i.platform for i in state.inbox})

    waiting = GaugeMetricFamily("edunet_inbox_waiting", "Webhook events stored and not processed yet",
                                labels=["platform"])
    lag = GaugeMetricFamily("edunet_inbox_lag_seconds", "Age of the oldest event waiting in the inbox",
                            labels=["platform"])
    by_platform = {i.platform: i for i in state.inbox}
    for platform in platforms:
        item = by_platform.get(platform)
        waiting.add_metric([platform], item.waiting if item else 0)
        lag.add_metric([platform], _age(now, item.oldest) if item else 0.0)
    yield waiting
    yield lag

    depth = GaugeMetricFamily("edunet_outbox_rows",
                              "Outbox rows not delivered: due, waiting (not yet due or held by the delivery "
                              "policy), in_flight (leased by a dispatcher) and dead (dead-lettered)",
                              labels=["platform", "state", "urgency"])
    for platform in platforms:
        for row_state in OUTBOX_STATES:
            for urgency in URGENCIES:
                depth.add_metric([platform, row_state, urgency], state.outbox.get((platform, row_state, urgency), 0))
    yield depth
    yield GaugeMetricFamily("edunet_outbox_oldest_due_seconds", "How long the oldest due outbox row has waited",
                            value=_age(now, state.oldest_due))

    yield GaugeMetricFamily("edunet_scheduler_due_tasks", "Scheduled tasks whose time has come and that have not run",
                            value=state.tasks_due)
    yield GaugeMetricFamily("edunet_scheduler_lag_seconds", "How late the most overdue scheduled task is",
                            value=_age(now, state.oldest_task_due))

    billed = GaugeMetricFamily("edunet_billed_messages_month",
                               "Messages billed this calendar month (LINE: a group push counts every member)",
                               labels=["platform"])
    for platform, units in sorted(state.billed_this_month.items()):
        billed.add_metric([platform], units)
    yield billed
    used = GaugeMetricFamily("edunet_quota_used", "Messages used this month as the platform last reported",
                             labels=["platform"])
    limit = GaugeMetricFamily("edunet_quota_limit", "The platform's monthly message limit (absent: none)",
                              labels=["platform"])
    for platform, (quota_limit, quota_used) in sorted(quotas.items()):
        used.add_metric([platform], quota_used)
        if quota_limit is not None:
            limit.add_metric([platform], quota_limit)
    yield used
    yield limit

    results = CounterMetricFamily("edunet_outbox_deliveries",
                                  "Outbox delivery outcomes in this process: sent, retried, dead, rate_limited "
                                  "(the platform answered 429), parked (waiting for the month's quota)",
                                  labels=["platform", "result"])
    for platform in platforms:
        for result in RESULTS:
            results.add_metric([platform, result], counters.get((platform, result), 0))
    yield results

    if instances_alive is not None:
        yield GaugeMetricFamily("edunet_instances_alive", "Instances whose heartbeat is fresh",
                                value=instances_alive)


async def read(app: App, dispatcher: OutboxDispatcher | None,
               instances_alive: Callable[[], Awaitable[int]] | None = None) -> bytes:
    """One scrape, rendered in Prometheus' text format."""
    now = app.clock.now()
    lease_now = dispatcher.lease_clock.now() if dispatcher is not None else datetime.now(timezone.utc)
    async with app.db.transaction() as conn:
        state = await OpsRepo(conn).state(now=now, lease_now=lease_now)
    alive = await instances_alive() if instances_alive is not None else None
    quotas = {name: (q.limit, q.used) for name, q in app.quotas.items()}
    platforms = list(dispatcher.senders) if dispatcher is not None else list(app.platforms)
    counters = dict(dispatcher.counters) if dispatcher is not None else {}
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(list(families(state, now=now, platforms=platforms, counters=counters,
                                              quotas=quotas, instances_alive=alive))))
    return generate_latest(registry)


def handler(app: App, dispatcher: OutboxDispatcher | None,
            instances_alive: Callable[[], Awaitable[int]] | None = None
            ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for ``GET /metrics``."""

    async def metrics(_request: web.Request) -> web.Response:
        try:
            body = await read(app, dispatcher, instances_alive)
        except Exception:
            log.exception("reading the metrics failed")
            return web.Response(status=503, text="metrics unavailable\n")
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics
