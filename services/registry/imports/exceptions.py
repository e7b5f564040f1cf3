"""Error codes of the imports feature (RFC 9457 problem types: ``type`` is ``…/problems/<code>``).

Raise these instead of a generic error with a ``code=`` string: the code is named once, here.
"""

from __future__ import annotations

from common.errors import Conflict, ValidationFailed


class ImportConflict(Conflict):
    """A member was placed in a household through the API while the import ran."""

    code = "import-conflict"


class ImportHeader(ValidationFailed):
    """The header row does not fit the import's kind (``errors`` name the columns)."""

    code = "import-header"
