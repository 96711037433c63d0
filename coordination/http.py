"""Reading JSON bodies and answering errors the same way in every JSON entry point."""
from flask import jsonify, request

from .errors import InputError, message


def json_body(empty_ok: bool = False) -> dict:
    """The request's JSON object; with empty_ok, no body at all reads as {}."""
    if empty_ok and not request.content_length:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InputError(400, {"body": "invalid_json"})
    return body


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
              414: "uri_too_long", 415: "unsupported_media_type", 429: "too_many_requests"}


def api_error(status: int, headers=None, code: str | None = None):
    """The one API error shape, for errors raised by Flask/Werkzeug rather than by us."""
    code = code or HTTP_CODES.get(status, "bad_request" if status < 500 else "server_error")
    body = {"errors": {"request": code}, "messages": {"request": message(code)}}
    return jsonify(body), status, headers or []
