"""Errors the commerce services raise.

Every error carries a message fit to show a merchant on one line; the skill turns the
shopper-facing ones into speech through its prompts, keyed by ``code``.
"""

from __future__ import annotations


class VoiceCartError(Exception):
    """Base class: a request that cannot be carried out as asked. Nothing was written."""

    code = "error"


class NotFound(VoiceCartError):
    """An item, account or order that does not exist."""

    code = "not_found"


class InvalidInput(VoiceCartError):
    """A value that is malformed or out of range."""

    code = "invalid_input"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None,
                 problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}
        """Field name -> what is wrong with it, when the input was a record or a form."""
        self.problems = problems or [message]
        """Every problem, one message each (``message`` is them all, joined)."""


class NotAllowed(VoiceCartError):
    """A valid request that the rules forbid (quantity over the limit, a blocked item...)."""

    code = "not_allowed"

    def __init__(self, message: str, *, code: str | None = None, item: str = "",
                 left: int | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.item = item
        """The item's name, when the rule is about one item (for the spoken reply)."""
        self.left = left
        """Units still in stock, for ``out_of_stock``."""


class ImportFailed(VoiceCartError):
    """A catalog import with bad rows; ``problems`` lists ``(line, reason)`` pairs."""

    code = "import_failed"

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {line}: {reason}" for line, reason in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"import rejected, nothing changed: {lines}{more}")
