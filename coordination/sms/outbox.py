"""Sending the SMS outbox through the capcom6 gateway's API (scheduler or CLI, never a request).

Used only when SMS_GATEWAY_API_URL is set (local mode `http://PHONE-IP:8080`, or the
cloud/private server `…/3rdparty/v1`); otherwise a gateway polls /api/v1/notifications.
Claims, retries and backoff are the outbox's (deadlines/outbox.py), as for e-mail.
"""
from datetime import datetime

from flask import current_app

from ..deadlines import outbox
from ..deadlines.models import Notification


def _client():
    from android_sms_gateway import APIClient  # the project's own client (PyPI)

    config = current_app.config
    return APIClient(config["SMS_GATEWAY_LOGIN"], config["SMS_GATEWAY_PASSWORD"],
                     base_url=config["SMS_GATEWAY_API_URL"])


def _send(client, note: Notification) -> None:
    from android_sms_gateway import Message, TextMessage

    client.send(Message(phone_numbers=[note.recipient], text_message=TextMessage(note.message),
                        with_delivery_report=False))


def deliver_sms(now: datetime | None = None) -> dict:
    """Send due SMS rows of the outbox (replies and reminders) through the gateway."""
    if not current_app.config.get("SMS_GATEWAY_API_URL"):
        return {"sent": 0, "failed": 0}
    with _client() as client:
        # network, HTTP or gateway errors alike: the row waits for its next attempt
        return outbox.deliver("sms", lambda note: _send(client, note), (Exception,), now)


def sms_job(app) -> dict:
    with app.app_context():
        return deliver_sms()
