"""Vietnamese phone numbers in one form, so +84…, 84… and 0… of the same line compare equal."""
import re

_DIGITS = re.compile(r"\D")


def normalise_phone(raw: str | None) -> str:
    """'+84 912 345 678', '84912345678', '0912.345.678' → '84912345678' ('' if not a number).

    Numbers of other countries keep their digits (no leading +), so they never
    match a Vietnamese officer by accident.
    """
    text = (raw or "").strip()
    digits = _DIGITS.sub("", text)
    if not digits:
        return ""
    if text.startswith("+") or text.startswith("00"):
        digits = digits[2:] if text.startswith("00") else digits
        return digits
    if digits.startswith("84") and len(digits) >= 11:
        return digits
    if digits.startswith("0"):
        return "84" + digits[1:]
    if len(digits) == 9:  # 912345678: the leading 0 dropped
        return "84" + digits
    return digits


def display_phone(normalised: str) -> str:
    """'84912345678' → '0912345678' (how officers write their number)."""
    return "0" + normalised[2:] if normalised.startswith("84") else normalised
