"""Reject text no database can store before it reaches one.

PostgreSQL refuses NUL (U+0000) in text columns with a driver error; a user
who types or pastes one gets a clear 400 instead of a 500, on both backends.
"""
from flask import Flask, request

from .errors import InputError

NUL = "\x00"


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _bad_field() -> str | None:
    if NUL in request.path:
        return "path"
    for source in (request.args, request.form):
        for name, values in source.lists():
            if NUL in name or _has_nul(values):
                return name.replace(NUL, "")
    if request.is_json and _has_nul(request.get_json(silent=True)):
        return "body"
    return None


def reject_nul_bytes() -> None:
    field = _bad_field()
    if field is not None:
        raise InputError(400, {field: "invalid_characters"})


def register(app: Flask) -> None:
    # Runs first, before the write hook opens a transaction.
    app.before_request_funcs.setdefault(None, []).insert(0, reject_nul_bytes)
