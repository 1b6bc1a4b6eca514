"""Personal data (Thailand's PDPA B.E. 2562): the notice and consent at registration,
``/consent``, ``/mydata``, ``/forget``, the coordinators' log of requests, retention and its
daily job, and the ID-number / phone-number warning that needs and activities use."""

from __future__ import annotations

from bot.router import Router
from handlers.privacy import consent, forget, mydata, retention
from handlers.privacy.consent import RegistrationConsent, consent_register_button, registration_consent, with_notice
from handlers.privacy.notice import NOTICE_TAG, PAGE_PATH, notice_html
from handlers.privacy.sensitive import checked_text, warning as sensitive_warning

ORDER = 90
router = Router()
for _module in (consent, mydata, forget, retention):
    router.include(_module.router)

__all__ = ["NOTICE_TAG", "PAGE_PATH", "RegistrationConsent", "checked_text", "consent_register_button", "notice_html",
           "registration_consent", "router", "sensitive_warning", "with_notice"]
