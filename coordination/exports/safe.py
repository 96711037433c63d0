"""Formula-injection neutralising for spreadsheet exports (OWASP CSV injection).

A text cell that starts with = + - @ tab or CR can run as a formula when a
spreadsheet opens the file; a leading single quote makes it plain text.
Numbers are never touched: they stay numeric cells.
"""
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value
