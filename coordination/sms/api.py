"""Entry points of inbound SMS: the generic gateway API and the capcom6 webhook.

Both turn their input into `receive_sms(...)` arguments and run it in `retry_on_conflict`.
- `POST /api/v1/sms/inbound`: bearer token of a `gateway` account only (403 for others).
- `POST /api/v1/sms/capcom6`: "SMS Gateway for Android" `sms:received` webhook, no token:
  authenticated by its HMAC-SHA256 signature (X-Signature = hex HMAC of raw body + X-Timestamp
  with SMS_WEBHOOK_SIGNING_KEY); a bad, missing or old (> SMS_WEBHOOK_MAX_AGE_SECONDS)
  signature is 401, and so is any call while no signing key is configured.
"""
import hashlib
import hmac
import time
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, request

from ..auth.access import gateway_required, public
from ..database import retry_on_conflict
from ..errors import Problems
from ..http import api_error, json_body
from .inbound import receive_sms

bp = Blueprint("sms_api", __name__, url_prefix="/api/v1/sms")
MAX_TEXT = 1600  # ten concatenated SMS


def parse_instant(value) -> datetime | None:
    """ISO-8601 with an offset → naive UTC; None if absent; ValueError if unreadable."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _read(body: dict, sender_key: str, text_key: str, id_key: str, at_key: str):
    problems = Problems()
    sender, text, message_id = body.get(sender_key), body.get(text_key), body.get(id_key, "")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 40:
        problems.add(sender_key, "required" if not sender else "invalid")
    if not isinstance(text, str):
        problems.add(text_key, "required")
    elif len(text) > MAX_TEXT or "\x00" in text:
        problems.add(text_key, "too_long" if len(text) > MAX_TEXT else "invalid_characters")
    if not isinstance(message_id, str) or len(message_id) > 200:
        problems.add(id_key, "invalid")
    received_at = None
    try:
        received_at = parse_instant(body.get(at_key))
    except ValueError:
        problems.add(at_key, "bad_received_at")
    problems.raise_if_any(422)
    return sender.strip(), text, message_id, received_at


@bp.post("/inbound")
@gateway_required
def inbound():
    """{"from", "text", "message_id", "received_at"} → 200 {"reply", "report", "errors"}."""
    sender, text, message_id, received_at = _read(
        json_body(), "from", "text", "message_id", "received_at")
    result = retry_on_conflict(lambda: receive_sms(sender, text, message_id, received_at,
                                                   via="api"))
    return jsonify(result.as_dict())


def signature_ok(raw: bytes, timestamp: str, signature: str, key: str, max_age: int,
                 now: float | None = None) -> bool:
    """capcom6's scheme: hex(HMAC-SHA256(key, raw body + X-Timestamp)), timestamp fresh."""
    if not key or not timestamp.isdigit() or not signature:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > max_age:
        return False
    expected = hmac.new(key.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


@bp.post("/capcom6")
@public  # authenticated by the webhook's signature, not an account
def capcom6_webhook():
    """SMS Gateway for Android: only `sms:received` is acted on; other events are 200 ignored."""
    config = current_app.config
    if not signature_ok(request.get_data(), request.headers.get("X-Timestamp", ""),
                        request.headers.get("X-Signature", ""),
                        config["SMS_WEBHOOK_SIGNING_KEY"], config["SMS_WEBHOOK_MAX_AGE_SECONDS"]):
        return api_error(401, code="bad_signature")
    body = json_body()
    if body.get("event") != "sms:received":
        return jsonify(ignored=str(body.get("event"))[:40])
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    if not payload.get("phoneNumber") and payload.get("sender"):
        payload = {**payload, "phoneNumber": payload["sender"]}
    sender, text, message_id, received_at = _read(
        payload, "phoneNumber", "message", "messageId", "receivedAt")
    # capcom6 derives messageId from the content (not unique): the receive time tells two
    # identical SMS apart, while a retry of the same delivery keeps both.
    key = f"{message_id}@{payload.get('receivedAt') or ''}"
    result = retry_on_conflict(lambda: receive_sms(sender, text, key, received_at,
                                                   via="capcom6"))
    return jsonify(result.as_dict())
