"""User mistakes as data: an HTTP status, stable per-field codes, Vietnamese messages."""

MESSAGES = {
    "required": "Bắt buộc nhập.",
    "invalid": "Giá trị không hợp lệ.",
    "invalid_date": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "not_found": "Không tìm thấy.",
    "too_long": "Nội dung quá dài.",
    "exists": "Đã tồn tại.",
}


class InputError(Exception):
    def __init__(self, status: int, errors: dict[str, str], messages: dict[str, str] | None = None):
        super().__init__(errors)
        self.status = status
        self.errors = errors
        self.messages = {k: MESSAGES.get(v, v) for k, v in errors.items()}
        self.messages.update(messages or {})

    def as_json(self) -> dict:
        return {"errors": self.errors, "messages": self.messages}
