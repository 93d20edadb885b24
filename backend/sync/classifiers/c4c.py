"""Classify what went wrong talking to C4C into the failure taxonomy (PRODUCT.md section 4).

A pure function over the client's exceptions (or a raw ``requests`` response or exception):
no I/O, no state. Field names for the Save dialog come from the SAP envelope's
``errordetails[].target``, or from the quoted name in the message when there is no target.
"""

from __future__ import annotations

import re

import requests

from backend.crm.errors import C4CConnectionError, C4CHTTPError, C4CRefusedAsAWhole
from backend.models.types import IssueCode
from backend.sync.errors import Classification, ours
from backend.text import N_

REFUSED_AS_A_WHOLE = N_(
    "SAP Cloud for Customer refused the request that carried this change with others; "
    "it is sent again next time"
)

_INPUT_CODES = frozenset(
    {"CM_BO_CONSISTENCY/020", "CM_BO_CONSISTENCY/031", "CM_BO_CONSISTENCY/014",
     "CM_BO_CONSISTENCY/036", "/IWBEP/CM_MGW_RT/022"}
)  # fmt: skip
_INPUT_TEXT = re.compile(
    r"mandatory|required|not filled|too long|maximum length|exceeds|invalid value|not valid"
    r"|cannot be changed",
    re.IGNORECASE,
)
_DISABLED_TEXT = re.compile(r"user (is )?locked|licen[cs]e|user .* (deleted|inactive)", re.I)
_QUOTED_FIELD = re.compile(r"(?:field|property)\s+'([A-Za-z_]\w*)'", re.IGNORECASE)
_BY_STATUS = {
    401: IssueCode.AUTH,
    404: IssueCode.NOT_FOUND,
    409: IssueCode.CONFLICT,
    412: IssueCode.CONFLICT,
    429: IssueCode.TEMPORARY,
}


def classify_c4c_error(error: BaseException | requests.Response) -> Classification:
    """Map a C4C failure to its taxonomy code.

    Args:
        error: an exception of the C4C client, a ``requests`` exception, or an error response.

    Returns:
        The classification, with SAP's message id, the HTTP status, the offending field
        names and any ``Retry-After``.
    """
    if isinstance(error, requests.Response):
        error = C4CHTTPError.from_response(error)
    if isinstance(error, C4CConnectionError | requests.RequestException):
        return Classification(
            IssueCode.TEMPORARY,
            "SAP Cloud for Customer could not be reached",
            backend_code=type(error).__name__,
            detail=str(error),
        )
    if isinstance(error, C4CRefusedAsAWhole):
        return ours(
            IssueCode.TEMPORARY, REFUSED_AS_A_WHOLE, backend_code=error.refused.sap_code,
            http_status=error.refused.status, detail=str(error),
        )  # fmt: skip
    if not isinstance(error, C4CHTTPError):
        return Classification(IssueCode.UNKNOWN, str(error) or type(error).__name__)
    code = _code_of(error)
    return Classification(
        code,
        error.message,
        backend_code=error.sap_code,
        http_status=error.status,
        fields=_fields(error) if code is IssueCode.NEEDS_INPUT else (),
        retry_after=error.retry_after,
    )


_ITEM_CODES = frozenset(
    {IssueCode.FORBIDDEN, IssueCode.NOT_FOUND, IssueCode.NEEDS_INPUT, IssueCode.CONFLICT}
)
"""What C4C's answer means for the one record it names."""


def as_a_whole(error: BaseException, count: int) -> BaseException:
    """What the failure of a ``$batch`` request carrying ``count`` writes means for each.

    C4C's answer to the request itself (a 403 for the whole ``$batch``, a 404, a 400) names no
    record: given to each write as its own, it would apply the tenant's policy for a refused
    change (rolling back a hundred edits for a missing authorization), unlink a hundred items or
    ask a hundred times for input. Each write fails for now instead (:class:`C4CRefusedAsAWhole`:
    sent again next run, an issue once that repeats); a 401, a locked user, throttling, a server
    error or no answer at all keep their meaning (the run ends, or the writes wait).
    """
    if isinstance(error, C4CHTTPError) and classify_c4c_error(error).code in _ITEM_CODES:
        return C4CRefusedAsAWhole(error, count)
    return error


def _code_of(error: C4CHTTPError) -> IssueCode:
    if error.status in _BY_STATUS:
        return _BY_STATUS[error.status]
    if error.status >= 500:
        return IssueCode.TEMPORARY
    if error.status == 403:
        if error.csrf_required:
            return IssueCode.TEMPORARY
        if _DISABLED_TEXT.search(error.message):
            return IssueCode.ACCOUNT_DISABLED
        return IssueCode.FORBIDDEN
    if error.status == 400 and (
        error.sap_code in _INPUT_CODES
        or any(detail.code in _INPUT_CODES for detail in error.details)
        or _INPUT_TEXT.search(error.message)
    ):
        return IssueCode.NEEDS_INPUT
    return IssueCode.UNKNOWN


def _fields(error: C4CHTTPError) -> tuple[str, ...]:
    if error.fields:
        return error.fields
    texts = [error.message, *(detail.message for detail in error.details)]
    return tuple(dict.fromkeys(m for text in texts for m in _QUOTED_FIELD.findall(text)))
