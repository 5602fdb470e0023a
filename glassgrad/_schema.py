"""Checking a JSON document read from disk against the fields glassgrad expects.

A run folder or a checkpoint may come from someone else, so every JSON file glassgrad reads back
is checked before a value is used: each expected field must be there and of the expected kind,
and the first one that is not is named in a one-line error. A schema is a dict from field name
to a ``Kind`` (a description for the message and a test), or to a nested schema for a dict
field. Fields the schema does not name are ignored (they are never read).

Example:
    >>> SCHEMA = {"epoch": NON_NEGATIVE_INT, "hidden": list_of(POSITIVE_INT)}
    >>> check_document({"epoch": "three", "hidden": [8]}, SCHEMA, "last.json", ValueError)
    Traceback (most recent call last):
    ValueError: last.json: field 'epoch' must be an integer >= 0, got 'three'
"""

import math

__all__ = ["Kind", "check_document", "list_of", "one_of", "optional", "BOOL", "FINITE_NUMBER",
           "NON_NEGATIVE_INT", "NUMBER", "POSITIVE_INT", "TEXT", "DICT"]


class Kind:
    """A kind of JSON value: ``description`` (for messages) and ``test(value) -> bool``."""

    def __init__(self, description, test):
        self.description = description
        self.test = test


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


BOOL = Kind("true or false", lambda v: isinstance(v, bool))
TEXT = Kind("a string", lambda v: isinstance(v, str))
DICT = Kind("an object", lambda v: isinstance(v, dict))
NUMBER = Kind("a number", _is_number)
FINITE_NUMBER = Kind("a finite number", lambda v: _is_number(v) and math.isfinite(v))
POSITIVE_INT = Kind("an integer >= 1", lambda v: _is_int(v) and v >= 1)
NON_NEGATIVE_INT = Kind("an integer >= 0", lambda v: _is_int(v) and v >= 0)


def optional(kind):
    """``kind`` or null."""
    return Kind(f"{kind.description} or null", lambda v: v is None or kind.test(v))


def list_of(kind):
    """A list whose every item is of ``kind``."""
    return Kind(f"a list of {_plural(kind.description)}",
                lambda v: isinstance(v, list) and all(kind.test(item) for item in v))


def one_of(*values):
    """Exactly one of ``values``."""
    shown = ", ".join(repr(value) for value in values)
    return Kind(f"one of {shown}", lambda v: isinstance(v, (str, int, float)) and v in values)


def check_document(document, schema, where, error):
    """Raise ``error("<where>: field '<name>' must be <kind>, got <value>")`` for the first
    field of ``document`` that is missing or not of its kind; nested schemas name the path
    (``settings.lr``)."""
    _check(document, schema, where, error, prefix="")
    return document


def _check(document, schema, where, error, prefix):
    if not isinstance(document, dict):
        what = f"field '{prefix[:-1]}'" if prefix else "the document"
        raise error(f"{where}: {what} must be an object, got {_shown(document)}")
    for name, kind in schema.items():
        field = prefix + name
        if name not in document:
            raise error(f"{where}: missing field '{field}'")
        value = document[name]
        if isinstance(kind, dict):
            _check(value, kind, where, error, prefix=field + ".")
        elif not kind.test(value):
            raise error(f"{where}: field '{field}' must be {kind.description}, got "
                        f"{_shown(value)}")


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _plural(description):
    """'an integer >= 1' -> 'integers >= 1', 'a string' -> 'strings' (for list messages)."""
    for article in ("an ", "a "):
        if description.startswith(article):
            head, _, rest = description[len(article):].partition(" ")
            return f"{head}s {rest}".strip()
    return description + "s"
