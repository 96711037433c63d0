"""One access rule (issue 20): every route declares who may open it, and what each role
really gets from every route is what `auth/access.py` says. Then the write rule: for
each way of writing for a commune, a 403 exactly when `may_write` refuses.

The access rule does not depend on the database, so the route walk runs on SQLite only."""
import re
import uuid

import pytest

from coordination.auth.access import LEVELS, allows, entry_channel, may_write

ROLES = [None, "thatkhe", "province", "admin", "gateway"]
OWN = "06040"  # Thất Khê, the commune officer's own
SAMPLE = {"code": "MATMO-2025", "commune": OWN, "filename": "css/app.css"}
NO_ROW = "999999"  # ids name no row: the walk must not revoke its own tokens on the way


def _url(rule) -> str:
    def fill(match):
        name = match.group(2)
        if name == "code" and rule.rule.startswith("/sms/card"):
            return OWN  # the card's code is a commune's
        return SAMPLE.get(name, NO_ROW)
    return re.sub(r"<(?:([a-z]+):)?([a-z_]+)>", fill, rule.rule)


def _level(app, rule) -> str | None:
    view = app.view_functions[rule.endpoint]
    blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
    return getattr(view, "access_level", None) or getattr(blueprint, "access_level", None)


def test_every_route_declares_who_may_open_it(app):
    undeclared = [r.rule for r in app.url_map.iter_rules()
                  if r.endpoint != "static" and _level(app, r) not in (*LEVELS, "public")]
    assert undeclared == []


class Who:
    """The user a bearer token stands for, as the rule sees it."""

    def __init__(self, user):
        self.role, self.commune_code, self.active = user.role, user.commune_code, True
        self.is_authenticated = True


def _denied(response, anonymous: bool) -> bool:
    if response.status_code == 403:
        return True
    if anonymous:
        return response.status_code == 401 or (
            response.status_code == 302 and "/login" in response.headers.get("Location", ""))
    return False


@pytest.fixture
def walk(app, users, tokens, gateway, matmo):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("the route rule is the same on every backend")
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; here: who gets in
    heads = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    heads["gateway"] = gateway["headers"]
    people = {**{k: Who(v) for k, v in users.items()}, "gateway": Who(gateway["user"])}
    return heads, people


HEAVY = ("map.png", "bulletin", ".pdf", "export", "table.xlsx")  # rendered once per role


def test_every_route_answers_each_role_as_the_rule_says(app, client, walk):
    heads, people = walk
    wrong = []
    for rule in app.url_map.iter_rules():
        level = _level(app, rule)
        if rule.endpoint == "static" or level == "public":
            continue
        url = _url(rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for who in ROLES:
            if method == "GET" and any(h in url for h in HEAVY) and who not in (None, "gateway",
                                                                               "province"):
                continue  # the page's cost, not its rule: one allowed and the denied roles
            headers = heads.get(who, {})
            query = {"commune": OWN} if method == "GET" else None
            if url.startswith("/api/"):
                response = client.open(url, method=method, headers=headers, json={},
                                       query_string=query)
            else:
                response = client.open(url, method=method, headers=headers, data={},
                                       query_string=query)
            expected_allowed = who is not None and allows(level, people[who])
            if _denied(response, who is None) == expected_allowed:
                wrong.append((method, rule.rule, who, level, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


# --- writing for a commune: the one write rule -----------------------------------------

OTHER = "06385"  # Hữu Lũng


def _report(client, who_headers, commune, channel=None, url="/api/v1/reports"):
    body = {"event": "MATMO-2025", "commune": commune, "date": "2025-10-08",
            "submission_id": str(uuid.uuid4()), "figures": {"houses_collapsed": 1}}
    return client.post(url, json=body, headers=who_headers)


def test_every_way_of_writing_for_a_commune_asks_the_one_write_rule(app, client, users, auth,
                                                                   matmo, at_local):
    at_local(2025, 10, 10, 9, 0)
    province = auth("province")
    url = "/api/v1/events/MATMO-2025/relief"
    client.post(url + "/allocations", headers=province, json={
        "decision_no": "1/QĐ", "decision_date": "2025-10-09", "item": "gao", "unit": "kg",
        "lines": [{"commune": OWN, "quantity": 1000}, {"commune": OTHER, "quantity": 1000}]})
    for commune in (OWN, OTHER):
        client.post(url + "/deliveries", headers=province, json={
            "commune": commune, "item": "gao", "quantity": 1000, "date": "2025-10-10",
            "document_no": "BB"})
    writes = {
        "report by API": ("api", lambda h, c: _report(client, h, c)),
        "distribution by API": (None, lambda h, c: client.post(url + "/distributions", headers=h, json={
            "commune": c, "item": "gao", "date": "2025-10-10", "village": "Thôn 1",
            "households": 1, "people": 4, "quantity": 10, "submission_id": str(uuid.uuid4())})),
    }
    seen = []
    for name, (channel, write) in writes.items():
        for who in ("thatkhe", "other", "province", "admin"):
            user = users[who]
            for commune in (OWN, OTHER):
                used = channel or entry_channel(user, "api")
                response = write(auth(who), commune)
                refused = response.status_code == 403
                seen.append(refused)
                assert refused == (not may_write(user, commune, used)), (name, who, commune,
                                                                         response.get_json())
    assert True in seen and False in seen  # both sides of the rule were walked
