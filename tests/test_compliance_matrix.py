"""The compliance board's matrix: the last 14 days ending today by default (more on request),
every day with a report coloured, dates written dd/mm/yyyy, and light enough for a 2G link."""
import re

import brotli

from coordination.deadlines.scheduler import deadline_job
from coordination.extensions import db
from conftest import login
from conftest import HUULUNG, THATKHE

BOARD = "/events/MATMO-2025/compliance"


def header_dates(html: str) -> list[str]:
    table = html[html.index('id="matrix"'):]
    return re.findall(r'<th class="period" scope="col" title="([^"]+)">', table[:table.index("</thead>")])


def row_cells(html: str, code: str) -> list[str]:
    row = html[html.index(f'<tr data-code="{code}"><th'):]
    return re.findall(r'<td data-status="(\w+)">', row[:row.index("</tr>")])


def test_the_matrix_shows_the_last_14_days_ending_today_and_more_on_request(client, daily, at_local):
    at_local(2025, 11, 24, 10, 0)  # the storm began on 06/10: 50 days ago
    login(client, "tinh")
    html = client.get(BOARD).get_data(as_text=True)
    dates = header_dates(html)
    assert len(dates) == 14 and dates[0] == "11/11/2025" and dates[-1] == "24/11/2025"
    assert ">24/11</th>" in html
    assert "14 ngày gần nhất · từ 11/11/2025 đến 24/11/2025" in html
    assert len(row_cells(html, THATKHE)) == 14
    assert "(36 kỳ trước không hiển thị)" in html
    month = client.get(BOARD + "?days=30").get_data(as_text=True)
    assert len(header_dates(month)) == 30 and header_dates(month)[-1] == "24/11/2025"
    everything = client.get(BOARD + "?days=all").get_data(as_text=True)
    assert header_dates(everything)[0] == "06/10/2025" and len(header_dates(everything)) == 50
    assert "Toàn bộ sự kiện · từ 06/10/2025 đến 24/11/2025" in everything
    for odd in ("0", "abc", "9999", "-3"):
        assert client.get(BOARD + f"?days={odd}").status_code == 422


def test_every_day_with_a_report_is_coloured_even_before_the_deadline_job_ran(
        client, daily, post_report, at_local):
    at_local(2025, 10, 6, 9, 0)
    post_report("thatkhe", date="2025-10-06")  # on time
    at_local(2025, 10, 7, 16, 0)
    post_report("thatkhe", date="2025-10-07")  # late
    at_local(2025, 10, 8, 11, 0)
    post_report("thatkhe", date="2025-10-08")  # today, before 14:00
    login(client, "tinh")
    html = client.get(BOARD).get_data(as_text=True)  # no deadline job has run: no flags
    assert header_dates(html) == ["06/10/2025", "07/10/2025", "08/10/2025"]
    assert row_cells(html, THATKHE) == ["on_time", "late", "on_time"]
    assert row_cells(html, HUULUNG) == ["missing", "missing", "pending"]
    assert 'data-status="none"' not in html
    assert "Kỳ 08/10/2025 · hạn 14:00 08/10/2025" in html
    assert "2025-10-0" not in html.replace('value="2025-10-08"', "")  # no ISO dates shown


def test_rates_count_the_whole_event_not_only_the_days_shown(app, client, daily, post_report,
                                                             at_local):
    at_local(2025, 10, 6, 9, 0)
    post_report("thatkhe", date="2025-10-06")
    at_local(2025, 10, 25, 15, 0)
    deadline_job(app, daily.id)
    db.session.commit()
    login(client, "tinh")
    html = client.get(BOARD).get_data(as_text=True)
    assert header_dates(html)[0] == "12/10/2025"  # 06/10 is not shown…
    row = html[html.index(f'<tr data-code="{THATKHE}"><th'):]
    assert "5%" in row[:row.index("</tr>")]  # …but counts: 1 report of 20 days


def test_the_board_of_the_whole_province_weighs_little_over_the_wire(client, daily, at_local):
    at_local(2025, 11, 24, 15, 0)
    login(client, "tinh")
    page = client.get(BOARD, headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"
    html = brotli.decompress(page.data).decode()
    assert len(re.findall(r"<tr data-code=\"\d+\"><th", html)) == 65 and "title=\"Chưa" not in html
    assert len(page.data) < 12_000, len(page.data)  # 65 communes × 14 days
