"""Waiting on a page in real Chromium, shared by the browser tests and the browser benches."""
import time


def wait_until(page, expression: str, arg=None, timeout: float = 10000, every: float = 0.1):
    """Poll a JavaScript expression (or function of `arg`) until it is truthy; return it.

    Playwright's wait_for_function evaluates its predicate with eval() inside the page,
    which our Content-Security-Policy (no 'unsafe-eval') rightly refuses; page.evaluate
    runs from the DevTools protocol instead, so polling it keeps the page's real CSP.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression, arg) if arg is not None else page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} ms waiting for: {expression}")
        page.wait_for_timeout(every * 1000)


def open_report_form(page, base: str, username: str, password: str) -> None:
    """Log in as a commune officer and wait until the report form's script has run (it
    counts the outbox): a tap before that is a plain form post, which a loaded machine
    once made a test take."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#outbox-count[data-ready='1']", state="attached")
