"""Whatever a user types into a URL, the answer is a clear 4xx, never a 500."""
import re

import pytest

ODD_QUERIES = ["date=hôm-nay", "date=2025-13-45", "date=", "area=khong-co", "area=<b>",
               "indicator=zzz", "format=exe", "schedule=abc", "schedule=999999",
               "commune=99999", "limit=abc", "limit=-5", "status=x", "channel=fax",
               "change=maybe", "q=" + "a" * 2000, "page=-1"]


def get_rules(app):
    """Every GET page and API route, with the Matmo event and Thất Khê filled in."""
    values = {"code": "MATMO-2025", "commune_code": "06040", "ma_xa": "06040",
              "report_id": "1", "note_id": "1", "user_id": "1", "schedule_id": "1",
              "filename": "x.js"}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", values.get(name, "1"), url)
        yield url


@pytest.mark.parametrize("who", ["province", "thatkhe"])
def test_odd_query_parameters_never_give_a_500(app, client, auth, matmo, who):
    failures = []
    for url in get_rules(app):
        for query in ODD_QUERIES:
            response = client.get(f"{url}?{query}", headers=auth(who))
            if response.status_code >= 500:
                failures.append(f"{url}?{query[:40]} → {response.status_code}")
    assert failures == []
