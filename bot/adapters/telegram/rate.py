"""Telegram Bot API limits, as the outbox dispatcher paces them (:mod:`bot.ratelimit`).

Bot FAQ: about 30 messages per second overall, no more than one message per second in a
single chat, and at most 20 messages per minute in the same group. A 429's ``retry_after``
holds only that chat (flood control is per chat).
"""

from bot.ratelimit import RateProfile, Window

RATE_PROFILE = RateProfile(
    name="telegram",
    overall=(Window(30, 1.0, "overall"),),
    per_chat=(Window(1, 1.0, "per chat"),),
    per_group=(Window(20, 60.0, "per group"),),
    chunk=1,
    retry_after_scope="chat",
)
