"""Plain ASCII for SMS replies: one Vietnamese diacritic makes an SMS UCS-2 (70 characters)."""
import unicodedata

MAX_SMS = 160


def fold(text: str) -> str:
    """'Thất Khê' → 'That Khe', 'đ' → 'd'; anything left that is not ASCII is dropped."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.encode("ascii", "ignore").decode("ascii")


def clip(text: str, limit: int = MAX_SMS) -> str:
    text = " ".join(fold(text).split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."
