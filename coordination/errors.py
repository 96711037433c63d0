"""The one error catalogue: a stable code per mistake, and its Vietnamese message.

The API answers every 4xx as `{"errors": {field: code}, "messages": {field: text}}`;
pages show the messages beside the fields. Codes never change once published
(clients branch on them); messages may be reworded. A message may name values
with `{placeholders}`, filled from the params given where the error is raised.
"""

CATALOGUE = {
    # general
    "required": "Bắt buộc nhập.",
    "invalid": "Giá trị không hợp lệ.",
    "invalid_json": "Nội dung phải là JSON hợp lệ (một đối tượng).",
    "invalid_characters": "Nội dung chứa ký tự không hợp lệ (NUL).",
    "invalid_date": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "invalid_time": "Giờ không hợp lệ (định dạng HH:MM, ví dụ 14:00).",
    "too_long": "Nội dung quá dài.",
    "exists": "Đã tồn tại.",
    "not_found": "Không tìm thấy.",
    "forbidden": "Bạn không có quyền thực hiện thao tác này.",
    "conflict": "Xung đột dữ liệu.",
    # HTTP-level answers (field "request")
    "bad_request": "Yêu cầu không hợp lệ.",
    "unauthorized": "Cần đăng nhập (Authorization: Bearer).",
    "method_not_allowed": "Phương thức không được hỗ trợ.",
    "payload_too_large": "Dữ liệu gửi lên quá lớn.",
    "uri_too_long": "Địa chỉ yêu cầu quá dài.",
    "unsupported_media_type": "Kiểu nội dung không được hỗ trợ.",
    "too_many_requests": "Quá nhiều yêu cầu; vui lòng thử lại sau.",
    "csrf_failed": "Phiên làm việc đã hết hạn; vui lòng tải lại trang và gửi lại.",
    # selection (event, date, area, commune)
    "event_not_found": "Không tìm thấy sự kiện '{code}'.",
    "area_not_found": "Không tìm thấy vùng '{code}'.",
    "commune_not_found": "Không tìm thấy xã/phường '{code}'.",
    "bad_date": "Ngày '{value}' không hợp lệ (YYYY-MM-DD).",
    "forbidden_scope": "Tài khoản cấp xã chỉ xem và xuất được số liệu của xã/phường mình.",
    "unknown_format": "Định dạng phải là một trong: {formats}.",
    # events and schedules
    "before_start": "Ngày kết thúc phải sau ngày bắt đầu.",
    "unknown_commune": "Mã xã/phường không tồn tại: {codes}.",
    "communes_required": "Chọn ít nhất một xã/phường, hoặc chọn phạm vi toàn tỉnh.",
    "event_exists": "Mã sự kiện '{code}' đã có.",
    "closed": "Sự kiện đã kết thúc.",
    "schedule_exists": "Sự kiện đã có lịch này: {label}.",
    "schedule_not_found": "Không tìm thấy lịch báo cáo của sự kiện này.",
    "no_schedule": "Sự kiện chưa có lịch báo cáo.",
    "after_deadline": "Giờ nhắc phải dạng HH:MM, trước hạn báo cáo.",
    "invalid_due_day": "Ngày hạn trong tháng phải từ 1 đến 28.",
    "outside_schedule": "Ngày này không thuộc thời gian của lịch báo cáo.",
    # reports
    "future_date": "Không thể báo cáo cho ngày trong tương lai.",
    "outside_event": "Ngày báo cáo nằm ngoài thời gian của sự kiện.",
    "event_closed": "Sự kiện đã kết thúc, không nhận báo cáo mới.",
    "commune_outside_event": "Xã/phường không thuộc phạm vi của sự kiện.",
    "not_a_number": "'{token}' không phải là số. Viết ví dụ 12 hoặc 1,5.",
    "ambiguous_number": "'{token}' dễ nhầm: viết 5000 (không dấu ngăn cách) hoặc 1,5 (số lẻ).",
    "negative": "Không được là số âm.",
    "not_whole_number": "Phải là số nguyên.",
    "too_large": "Giá trị quá lớn.",
    "unknown_indicator": "Chỉ tiêu không có trong danh mục.",
    "decrease_needs_reason": "Thấp hơn số đã báo cáo trước đó ({previous}). Nếu đúng, ghi lý do "
                             "điều chỉnh (SMS: thêm cuối tin LD <lý do>).",
    "own_commune_only": "Bạn chỉ được nhập số liệu cho xã/phường của mình.",
    "on_behalf_only": "Cán bộ tỉnh nhập số liệu cho một xã/phường qua mục \"Nhập báo cáo qua "
                      "điện thoại\" (kênh phone), để số liệu luôn được ghi rõ là do tỉnh nhập.",
    "empty_report": "Báo cáo chưa có số liệu nào. Nhập số liệu, hoặc chọn "
                    "\"Không có thiệt hại phát sinh\".",
    "invalid_datetime": "Thời điểm không hợp lệ (ISO 8601 có múi giờ, ví dụ 2025-10-08T13:45:00+07:00).",
    "submission_conflict": "Mã gửi này đã được dùng cho một báo cáo khác.",
    # accounts and catalog
    "bad_username": "Tên đăng nhập 2–80 ký tự: chữ không dấu, số, dấu . _ -",
    "username_exists": "Tên đăng nhập '{username}' đã tồn tại.",
    "bad_role": "Chọn vai trò.",
    "commune_required": "Tài khoản cấp xã cần chọn xã/phường (mã xã/phường hợp lệ).",
    "password_too_short": "Mật khẩu cần ít nhất 8 ký tự.",
    "password_mismatch": "Hai lần nhập mật khẩu không khớp.",
    "bad_phone": "Số điện thoại không hợp lệ.",
    "bad_email": "Địa chỉ email không hợp lệ.",
    "self_lock": "Không thể tự khóa tài khoản đang đăng nhập.",
    "bad_code": "Mã: chữ thường không dấu, số, dấu _ (ví dụ: boats_lost).",
    "code_exists": "Mã '{code}' đã có trong danh mục.",
    "label_required": "Nhập tên chỉ tiêu (tối đa 200 ký tự).",
    "unit_required": "Nhập đơn vị tính (ví dụ: chiếc, ha, m).",
    "bad_hxl": "Thẻ HXL dạng #tag+thuoc_tinh (ví dụ: #affected+boats).",
    "group_required": "Chọn nhóm chỉ tiêu.",
    "group_label_required": "Nhập tên nhóm mới.",
    "bad_group_code": "Mã nhóm: chữ thường không dấu, số, dấu _ (ví dụ: moi_truong).",
    "group_exists": "Mã nhóm đã có; chọn nhóm đó trong danh sách.",
    "not_integer": "Phải là số nguyên.",
    # maps
    "indicator_not_found": "Không có chỉ tiêu '{code}' trong danh mục.",
    "commune_not_in_view": "Xã/phường '{code}' không thuộc vùng đang xem.",
    "location_required": "Chọn xã/phường hoặc bấm vào bản đồ để lấy vị trí.",
    "notification_not_found": "Không tìm thấy thông báo.",
    # hardening
    "too_deep": "Nội dung JSON lồng nhau quá sâu.",
    "too_many": "Quá nhiều mục trong một lần gửi (tối đa {limit}).",
    "too_many_days": "Khoảng thời gian quá dài (tối đa {limit} ngày mỗi lần tải).",
    "date_after_today": "Ngày '{value}' ở sau hôm nay.",
    "date_after_event": "Ngày '{value}' ở sau ngày kết thúc sự kiện ({end}).",
    "login_wait": "Đăng nhập sai nhiều lần; vui lòng đợi {seconds} giây rồi thử lại.",
    "token_expired": "Mã truy cập API đã hết hạn.",
    "truncated": "Còn {count} lỗi khác không được liệt kê.",
    # sms (reports by SMS, the gateway, SMS codes of the catalog). A reply SMS is the
    # message folded to ASCII (sms/ascii.py): keep these short (≤ 150 characters) and
    # readable without diacritics.
    "unknown_sender": "Số điện thoại này chưa đăng ký báo cáo. Liên hệ Văn phòng BCH tỉnh để "
                      "đăng ký số của cán bộ xã.",
    "ambiguous_sender": "Số điện thoại này đăng ký cho nhiều xã. Liên hệ Văn phòng BCH tỉnh.",
    "rate_limited": "Bạn đã gửi quá {limit} tin trong 1 giờ. Tin sau chưa được xử lý; vui lòng "
                    "đợi rồi gửi lại.",
    "no_open_event": "Hiện không có sự kiện nào đang nhận báo cáo cho {commune}.",
    "not_a_report": "'{token}': tin phải bắt đầu bằng BC. Ví dụ: BC 0810 CH 0 MT 1",
    "not_a_report_blank": "Tin trống. Tin phải bắt đầu bằng BC. Ví dụ: BC 0810 CH 0 MT 1",
    "bad_sms_date": "'{token}' không phải ngày. Viết ddmm (0810) hoặc dd/mm, bỏ trống = hôm nay.",
    "unknown_code": "'{token}' không phải mã chỉ tiêu. Xem thẻ hướng dẫn (CH, MT, BT...).",
    "repeated_code": "'{token}' bị lặp lại. Mỗi mã chỉ ghi 1 lần.",
    "missing_value": "Thiếu số sau '{token}'. Ví dụ: {token} 0",
    "value_without_code": "'{token}' thiếu mã chỉ tiêu phía trước. Ví dụ: MT 1",
    "empty_sms": "Tin chưa có số liệu. Ví dụ: BC 0810 CH 0 MT 1",
    "empty_reason": "Sau LD cần ghi lý do điều chỉnh. Ví dụ: LD đếm lại",
    "sms_received": "Đã nhận BC {day} {commune}: {values} (v{version}){late}",
    "sms_received_late": " - trễ hạn",
    "bad_signature": "Chữ ký webhook không hợp lệ hoặc đã quá hạn.",
    "bad_sms_code": "Mã SMS: 2–3 chữ cái không dấu (ví dụ: CH), hoặc để trống.",
    "sms_code_exists": "Mã SMS '{value}' đã dùng cho chỉ tiêu khác.",
    "sms_code_reserved": "Mã SMS '{value}' dành riêng cho cú pháp tin nhắn (BC, LD).",
    "bad_received_at": "received_at phải là thời điểm ISO-8601 có múi giờ.",
    # relief
    "from_ledger": "Số liệu này lấy từ sổ theo dõi hàng cứu trợ (phân bổ, giao nhận, cấp phát); "
                   "không nhập tay.",
    "unknown_item": "Mặt hàng phải là một trong: {items}.",
    "unknown_unit": "Đơn vị tính phải là một trong: {units}.",
    "unit_mismatch": "Mặt hàng này đã được phân bổ theo đơn vị {unit}; dùng cùng đơn vị.",
    "before_decision": "Hạn giao phải từ ngày quyết định trở đi.",
    "duplicate_commune": "Xã/phường '{code}' có hai dòng trong cùng quyết định.",
    "not_positive": "Phải lớn hơn 0.",
    "exceeds_delivered": "Vượt số hàng xã đang có: chỉ còn {available} {unit}. "
                         "Ghi lý do nếu vẫn phát.",
    "more_households_than_people": "Số hộ không thể lớn hơn số người.",
    # offline (the phone form's JSON endpoint)
    "login_again": "Phiên đăng nhập đã hết. Hãy đăng nhập lại; báo cáo vẫn được giữ trên máy và sẽ tự gửi.",
    "bad_channel": "Kênh gửi phải là một trong: web, offline, phone.",
    "phone_channel_province_only": "Chỉ cán bộ tỉnh nhập báo cáo qua điện thoại (kênh phone).",
    # notices after an action (flash) and command-line answers
    "logged_out": "Đã đăng xuất.",
    "bad_login": "Tên đăng nhập hoặc mật khẩu không đúng.",
    "event_created": "Đã tạo sự kiện.",
    "event_closed_now": "Đã kết thúc sự kiện {code}; không nhận báo cáo mới.",
    "account_created": "Đã tạo tài khoản.",
    "account_unlocked": "Đã mở lại tài khoản {username}.",
    "account_locked": "Đã khóa tài khoản {username}.",
    "password_shown_once": "Báo mật khẩu này cho người dùng qua kênh an toàn; trang này chỉ hiện "
                           "một lần.",
    "token_shown_once": "Dùng trong tiêu đề Authorization: Bearer …; trang này chỉ hiện một lần.",
    "token_revoked": "Đã thu hồi token #{id}.",
    "token_not_found": "Không có token #{id}.",
    "account_not_found": "Không có tài khoản '{username}'.",
    "indicator_added": "Đã thêm chỉ tiêu vào danh mục.",
    "indicator_reused": "Đã dùng lại chỉ tiêu {code}.",
    "indicator_retired": "Đã ngừng dùng chỉ tiêu {code}.",
    "sms_code_saved": "Đã lưu mã SMS của chỉ tiêu {code}.",
    "settings_saved": "Đã lưu thông tin cơ quan và người ký.",
    "schedule_attached": "Đã gắn lịch báo cáo: {label}.",
    "schedule_resumed": "Đã bật lịch báo cáo.",
    "schedule_paused": "Đã tạm dừng lịch báo cáo.",
    "incident_saved": "Đã ghi nhận sự cố.",
    "facility_added": "Đã thêm {kind} {name}.",
    "allocation_saved": "Đã lưu quyết định {decision}: {communes} xã/phường, tổng {total} {unit}.",
    "delivery_saved": "Đã ghi biên bản giao nhận.",
    "delivery_confirmed": "Đã xác nhận nhận hàng.",
    "distribution_saved": "Đã ghi lần phát tại {village}.",
    "sms_gateway_off": "Chưa cấu hình SMS_GATEWAY_API_URL (xem docs/sms.md).",
    # backups (flask backup / restore, docs/operations.md)
    "backup_failed": "Sao lưu không thành công: {reason}",
    "backup_tool_missing": "Không tìm thấy chương trình {tool}: cài gói postgresql-client cùng phiên "
                           "bản với máy chủ PostgreSQL, hoặc đặt BACKUP_PG_BIN là thư mục chứa nó.",
    "backup_checksum_missing": "Thiếu tệp kiểm tra {file}.sha256: không khôi phục từ bản sao lưu "
                               "chưa kiểm tra được.",
    "backup_checksum_mismatch": "Mã SHA-256 của {file} không khớp với tệp .sha256 đi kèm: bản sao lưu "
                                "đã hỏng hoặc bị thay đổi; không khôi phục.",
    "backup_wrong_kind": "Tệp {file} không phải bản sao lưu {backend} (cần tệp .{ext} do "
                         "`flask backup` tạo ra).",
    "database_not_empty": "Cơ sở dữ liệu đích đã có dữ liệu (bảng {tables}); khôi phục sẽ ghi đè "
                          "dữ liệu này. Chỉ dùng --force nếu chắc chắn muốn ghi đè.",
    "restore_failed": "Khôi phục không thành công: {reason}",
}


MAX_ERRORS = 50  # field errors listed in one API answer (hardening)


class _Unnamed(dict):
    """A placeholder no caller filled reads as an ellipsis, never as '{token}'."""

    def __missing__(self, key: str) -> str:
        return "…"


def message(key: str, /, **params) -> str:
    """The Vietnamese text of a code, with its placeholders filled (unknown code: itself)."""
    text = CATALOGUE.get(key, key)
    try:
        return text.format_map(_Unnamed(params))
    except (ValueError, IndexError):
        return text


class InputError(Exception):
    """A user's mistake: HTTP status, {field: code}, {field: Vietnamese message}.

    Messages come from the catalogue; `messages` only adds text the catalogue
    cannot know (already formatted, e.g. by `message(code, **params)`).
    """

    def __init__(self, status: int, errors: dict[str, str], messages: dict[str, str] | None = None):
        super().__init__(errors)
        self.status = status
        self.errors = errors
        self.messages = {k: message(v) for k, v in errors.items()}
        self.messages.update(messages or {})

    @classmethod
    def one(cls, status: int, field: str, code: str, /, **params) -> "InputError":
        """A single field's error with its message filled from params."""
        return cls(status, {field: code}, {field: message(code, **params)})

    def as_json(self) -> dict:
        """The API body; at most MAX_ERRORS fields, then one `_truncated` entry saying how
        many more there were (a body of 100,000 unknown codes must not answer 12 MB)."""
        if len(self.errors) <= MAX_ERRORS:
            return {"errors": self.errors, "messages": self.messages}
        fields = list(self.errors)[:MAX_ERRORS]
        more = len(self.errors) - MAX_ERRORS
        errors = {f: self.errors[f] for f in fields}
        messages = {f: self.messages.get(f, message(self.errors[f])) for f in fields}
        errors["_truncated"] = "truncated"
        messages["_truncated"] = message("truncated", count=more)
        return {"errors": errors, "messages": messages}


class Problems:
    """Collects every field error of one input, so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.messages: dict[str, str] = {}

    def add(self, field: str, code: str, /, *, say: str | None = None, **params) -> None:
        """Record `code` for `field`; `say` picks a more precise catalogue text for a
        generic published code (e.g. code "invalid", text of "invalid_due_day")."""
        if field not in self.errors:  # the first problem of a field is the one shown
            self.errors[field] = code
            self.messages[field] = message(say or code, **params)

    def merge(self, exc: InputError) -> None:
        for field, code in exc.errors.items():
            if field not in self.errors:
                self.errors[field] = code
                self.messages[field] = exc.messages.get(field, message(code))

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, status: int = 422) -> None:
        if self.errors:
            raise InputError(status, dict(self.errors), dict(self.messages))
