"""Resubmissions: a client names each submission (`submission_id`) and may send it again.

A phone whose answer was lost resends from its outbox, a gateway retries, a user
double-taps. The same id with the same body is answered from storage and never
stored twice; the same id with another body is a 409 `conflict` on `submission_id`
(the client reused an id by mistake: nothing is overwritten). Operations that take
a submission_id (reports, distributions, incidents, requests) use these two pieces.
"""
import hashlib
import json

from .errors import InputError, message


def body_digest(body: dict) -> str:
    """What makes two submissions the same: their body, keys sorted, as SHA-256."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_replay(stored_digest: str, digest: str, allowed: bool = True) -> None:
    """A stored submission answers a resubmission only with the same body, and only to a
    user allowed to see it (else the id says nothing about what it stored)."""
    if stored_digest != digest or not allowed:
        raise InputError(409, {"submission_id": "conflict"},
                         {"submission_id": message("submission_conflict")})
