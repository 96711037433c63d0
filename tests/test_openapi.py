"""Integrators build against /api/v1/openapi.json: it must describe every API route there is."""
import re

IGNORED_METHODS = {"HEAD", "OPTIONS"}
CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")  # <code>, <int:note_id>
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def openapi_path(rule: str) -> str:
    """Flask's /events/<code>/x and /notifications/<int:note_id> → OpenAPI's {code}, {note_id}."""
    return CONVERTER.sub(r"{\1}", rule)


def routed_operations(app) -> set[tuple[str, str]]:
    return {(openapi_path(rule.rule), method.lower())
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            for method in rule.methods - IGNORED_METHODS}


def documented_operations(spec: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items()
            for method in item if method in HTTP_METHODS}


def served_spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_path_conversion_matches_flask_rules():
    assert openapi_path("/api/v1/events/<code>/compliance") == "/api/v1/events/{code}/compliance"
    assert openapi_path("/api/v1/notifications/<int:note_id>/sent") == "/api/v1/notifications/{note_id}/sent"


def test_every_api_endpoint_is_documented_for_integrators(app, client):
    routed = routed_operations(app)
    assert ("/api/v1/notifications/{note_id}/failed", "post") in routed  # the rule walk works
    missing = routed - documented_operations(served_spec(client))
    assert not missing, f"API routes missing from openapi.json: {sorted(missing)}"


def test_the_spec_promises_no_endpoint_the_app_does_not_serve(app, client):
    phantom = documented_operations(served_spec(client)) - routed_operations(app)
    assert not phantom, f"openapi.json documents routes the app does not have: {sorted(phantom)}"


def test_every_path_parameter_is_declared_for_integrators(client):
    spec = served_spec(client)
    for path, item in spec["paths"].items():
        in_template = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            declared = {p["name"] for p in item.get("parameters", []) + operation.get("parameters", [])
                        if p.get("in") == "path" and p.get("required") is True}
            assert declared == in_template, f"{method.upper()} {path}: path parameters {declared}"
            assert operation.get("summary") and operation.get("responses"), f"{method.upper()} {path}"


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(spec: dict, ref: str):
    """A local JSON pointer (#/components/schemas/Error) in the spec, or None."""
    if not ref.startswith("#/"):
        return None
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def test_every_schema_reference_in_the_spec_resolves(client):
    spec = served_spec(client)
    refs = set(_refs(spec))
    assert "#/components/schemas/FieldErrors" in refs
    broken = sorted(ref for ref in refs
                    if not ref.startswith("#/components/") or _resolve(spec, ref) is None)
    assert not broken, f"$ref pointing nowhere: {broken}"
