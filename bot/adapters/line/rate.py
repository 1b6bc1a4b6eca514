"""LINE Messaging API rate limits, which are per endpoint (requests per second or hour).

The outbox uses the push endpoint; the others are listed for senders that use them.
"""

from bot.ratelimit import RateProfile, Window

RATE_PROFILE = RateProfile(
    name="line",
    endpoints={
        "push": (Window(2000, 1.0, "push"),),
        "multicast": (Window(200, 1.0, "multicast"),),
        "broadcast": (Window(60, 3600.0, "broadcast"),),
        "narrowcast": (Window(60, 3600.0, "narrowcast"),),
    },
    endpoint="push",
    chunk=5,
    retry_after_scope="platform",
)
