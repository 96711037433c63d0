"""Reading report SMS typed on any phone: the table of what is accepted and what is refused
(the first bad token is named, so the reply can say what to fix). Pure: no database."""
from datetime import date

import pytest

from coordination.sms.ascii import clip, fold
from coordination.sms.parser import SmsFormatError, format_number, format_sms, parse_sms
from coordination.phones import normalise_phone

CODES = {"CH": "people_dead", "MT": "people_missing", "BT": "people_injured",
         "NS": "houses_collapsed", "NN": "houses_flooded", "GN": "rice_received_kg",
         "LUA": "rice_damaged_ha", "HST": "households_evacuated"}
TODAY = date(2025, 10, 9)


@pytest.mark.parametrize("text, day, figures, reason", [
    ("BC 0810 CH 0 MT 1 BT 2 NS 3 NN 120 GN 5000", date(2025, 10, 8),
     {"people_dead": 0, "people_missing": 1, "people_injured": 2, "houses_collapsed": 3,
      "houses_flooded": 120, "rice_received_kg": 5000}, ""),
    ("bc 0810 ch 0 mt 1", date(2025, 10, 8), {"people_dead": 0, "people_missing": 1}, ""),
    ("Bc 8/10 Ch=0;Mt=1,Nn 1,5", date(2025, 10, 8),
     {"people_dead": 0, "people_missing": 1, "houses_flooded": 1.5}, ""),
    ("BC 08/10 LUA 2.75", date(2025, 10, 8), {"rice_damaged_ha": 2.75}, ""),
    ("BC 08-10-2025 LUA 0,125", date(2025, 10, 8), {"rice_damaged_ha": 0.125}, ""),
    ("BC 8.10 CH 1", date(2025, 10, 8), {"people_dead": 1}, ""),
    ("BC 08/10/25 CH 1", date(2025, 10, 8), {"people_dead": 1}, ""),
    ("BC CH 4", None, {"people_dead": 4}, ""),  # no date: today
    ("BC CH4 MT:2 hst=7", None,
     {"people_dead": 4, "people_missing": 2, "households_evacuated": 7}, ""),
    ("  BC,0810,CH,1;;MT;2  ", date(2025, 10, 8), {"people_dead": 1, "people_missing": 2}, ""),
    ("BC0810 CH 1", date(2025, 10, 8), {"people_dead": 1}, ""),
    ("BC 0810 CH 1 LD dem lai, trung 1 nguoi", date(2025, 10, 8), {"people_dead": 1},
     "dem lai, trung 1 nguoi"),
    ("BC 0810 CH 1 ld đếm lại", date(2025, 10, 8), {"people_dead": 1}, "đếm lại"),
    ("BÇ 0810 Ch 1 Mt 0", date(2025, 10, 8), {"people_dead": 1, "people_missing": 0}, ""),
    ("bć 0810 ćh 1", date(2025, 10, 8), {"people_dead": 1}, ""),
    ("BC 3112 CH 1", date(2024, 12, 31), {"people_dead": 1}, ""),  # December, sent in October
    ("BC 0810 GN 1.234.567", date(2025, 10, 8), {"rice_received_kg": 1234567}, ""),  # only thousands
])
def test_officer_sms_forms_that_are_read(text, day, figures, reason):
    parsed = parse_sms(text, CODES, TODAY)
    assert parsed.day == day
    assert parsed.figures == figures
    assert parsed.reason == reason


def test_a_dot_groups_thousands_in_a_count_as_on_the_form():
    whole = frozenset({"people_dead", "houses_flooded", "households_evacuated"})
    parsed = parse_sms("BC 0810 NN 1.200 HST 5.000 CH 0", CODES, TODAY, whole)
    assert parsed.figures == {"houses_flooded": 1200, "households_evacuated": 5000, "people_dead": 0}
    with pytest.raises(SmsFormatError) as caught:
        parse_sms("BC 0810 NN 1,5", CODES, TODAY, whole)
    assert (caught.value.code, caught.value.token) == ("not_whole_number", "NN 1,5")


@pytest.mark.parametrize("text, code, token", [
    ("", "not_a_report", ""),
    ("   ", "not_a_report", ""),
    ("xin chao", "not_a_report", "xin"),
    ("Báo cáo 0810 CH 1", "not_a_report", "Báo"),
    ("BCX CH 1", "not_a_report", "BCX"),
    ("BC", "empty_sms", ""),
    ("BC 0810", "empty_sms", ""),
    ("BC 3102 CH 1", "bad_sms_date", "3102"),
    ("BC 32/10 CH 1", "bad_sms_date", "32/10"),
    ("BC 8 CH 1", "bad_sms_date", "8"),
    ("BC 0810 XX 1", "unknown_code", "XX"),
    ("BC 0810 CH 0 CHET 1", "unknown_code", "CHET"),
    ("BC 0810 chết 1", "unknown_code", "chết"),
    ("BC 0810 CH 1 MT 2 CH 3", "repeated_code", "CH"),
    ("BC 0810 ch 1 Ch 2", "repeated_code", "CH"),
    ("BC 0810 CH", "missing_value", "CH"),
    ("BC 0810 CH MT 1", "missing_value", "CH"),
    ("BC 0810 CH abc", "not_a_number", "CH ABC"),
    ("BC 0810 CH -1", "negative", "CH -1"),
    ("BC 0810 CH 1/2", "not_a_number", "CH 1/2"),
    ("BC 0810 GN 5.000", "ambiguous_number", "GN 5.000"),  # kg: five, or five thousand?
    ("BC 0810 GN 1,500", "ambiguous_number", "GN 1,500"),
    ("BC 0810 CH 1,500", "ambiguous_number", "CH 1,500"),
    ("BC 0810 CH 1 5", "value_without_code", "5"),
    ("BC 0810 CH 1 LD", "empty_reason", "LD"),
    ("BC 0810 CH 1 LD   ", "empty_reason", "LD"),
])
def test_the_first_bad_token_is_named(text, code, token):
    with pytest.raises(SmsFormatError) as caught:
        parse_sms(text, CODES, TODAY)
    assert (caught.value.code, caught.value.token) == (code, token)
    hint = caught.value.hint
    assert hint == fold(hint) and len(hint) <= 155  # ASCII, fits one SMS after "Loi: "
    if token:
        assert fold(token).upper() in hint.upper()


def test_an_sms_built_from_figures_reads_back_the_same():
    text = format_sms({"CH": 0, "LUA": 1.5, "GN": 5000}, date(2025, 10, 8))
    assert text == "BC 0810 CH 0 LUA 1,5 GN 5000"
    assert parse_sms(text, CODES, TODAY).figures == {
        "people_dead": 0, "rice_damaged_ha": 1.5, "rice_received_kg": 5000}
    assert format_number(12.0) == "12" and format_number(0.125) == "0,125"


@pytest.mark.parametrize("raw", ["+84912345678", "84912345678", "0912345678", "0912 345 678",
                                 "+84 912.345.678", "0084912345678", "912345678"])
def test_every_way_of_writing_a_vietnamese_number_is_the_same_line(raw):
    assert normalise_phone(raw) == "84912345678"


def test_foreign_and_empty_numbers_never_match_a_vietnamese_officer():
    assert normalise_phone("+1 650 555 1212") == "16505551212"
    assert normalise_phone("") == "" and normalise_phone("abc") == ""


def test_replies_are_plain_ascii_and_fit_one_sms():
    assert fold("Xã Thất Khê, Đồng Đăng") == "Xa That Khe, Dong Dang"
    long = clip("Đã nhận " + "x" * 300)
    assert len(long) == 160 and long.endswith("...") and long.isascii()
