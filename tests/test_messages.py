"""Every message a user reads comes from the one catalogue (issue 20): flashes, refusals,
command-line errors and SMS replies name a code of `errors.py`; none writes its own text."""
import ast
from pathlib import Path

from coordination.errors import CATALOGUE
from coordination.sms.ascii import fold

ROOT = Path(__file__).resolve().parents[1] / "coordination"
SPEAKERS = {"flash", "ClickException", "InputError", "SubmissionError", "SmsResult", "clip"}


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _own_words(node) -> bool:
    """Vietnamese (or any non-ASCII) text written in place, not taken from the catalogue."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            if not inner.value.isascii():
                return True
        if isinstance(inner, ast.Call) and _name(inner.func) == "message":
            continue
    return False


def test_no_message_is_written_outside_the_catalogue():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) in SPEAKERS:
                if any(_own_words(arg) for arg in [*node.args, *(k.value for k in node.keywords)]):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], offenders


def test_sms_replies_are_the_catalogue_in_ascii():
    """No second list: the ASCII module holds no words, and every SMS text folds cleanly."""
    assert not hasattr(__import__("coordination.sms.inbound", fromlist=["x"]), "REPLIES")
    assert not hasattr(__import__("coordination.sms.parser", fromlist=["x"]), "HINTS")
    for code in ("unknown_sender", "ambiguous_sender", "rate_limited", "no_open_event",
                 "not_a_report", "not_a_report_blank", "bad_sms_date", "unknown_code",
                 "repeated_code", "missing_value", "value_without_code", "empty_sms",
                 "empty_reason", "ambiguous_number", "not_a_number", "decrease_needs_reason"):
        text = fold(CATALOGUE[code])
        assert text.isascii() and len(text) <= 150, code
