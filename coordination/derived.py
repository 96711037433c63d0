"""Figures a feature derives instead of a commune typing them: a small registry.

Once the province allocates reserve rice, the report's rice indicators are the relief
ledger's cumulative figures (received = delivered, distributed = distributed, people
reached), not typed ones. Reports must know which figures are derived (to refuse a
typed value, to show them read-only, to put the ledger's in the one aggregation)
without importing the feature that derives them: the feature registers a `Provider`
when the app is made (`register(app, provider)`), reports ask this module.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app


@dataclass(frozen=True)
class Provider:
    name: str
    codes: frozenset[str]  # every indicator it may derive
    # the indicators it derives for an event (empty: the typed figures stand)
    active: Callable[[object], set[str]]
    # {commune: {indicator: cumulative value as of the date}}; scope: codes or a SELECT
    figures: Callable[[object, date, object], dict[str, dict[str, float]]]


def register(app, provider: Provider) -> None:
    found = app.extensions.setdefault("derived_figures", {})
    found[provider.name] = provider


def _providers() -> list[Provider]:
    return list(current_app.extensions.get("derived_figures", {}).values())


def derived_codes(event, among=None) -> set[str]:
    """Indicators derived for this event; `among` (codes typed) skips providers that could
    not derive any of them, so a report without rice figures asks the ledger nothing."""
    codes: set[str] = set()
    if event is None or event.id is None:
        return codes
    for provider in _providers():
        if among is None or provider.codes & set(among):
            codes |= provider.active(event)
    return codes


def derived_figures(event, on_date: date, scope=None) -> dict[str, dict[str, float]]:
    """{commune: {indicator: value}} of every provider active for the event."""
    found: dict[str, dict[str, float]] = {}
    for provider in _providers():
        if provider.active(event):
            for code, values in provider.figures(event, on_date, scope).items():
                found.setdefault(code, {}).update(values)
    return found


def overlay(event, on_date: date, scope, communes: dict, totals: dict) -> None:
    """Put derived figures in a summary in place of typed ones.

    `communes` maps code → an object with a `figures` dict; `totals` is the summary's
    {indicator: total}. A commune the provider knows nothing of has no value for them.
    """
    codes = derived_codes(event)
    if not codes:
        return
    derived = derived_figures(event, on_date, scope)
    for code, commune in communes.items():
        for indicator in codes:
            commune.figures.pop(indicator, None)
        commune.figures.update(derived.get(code, {}))
    for indicator in codes:
        values = [c.figures[indicator] for c in communes.values() if indicator in c.figures]
        if values:
            totals[indicator] = sum(values)
        else:
            totals.pop(indicator, None)
