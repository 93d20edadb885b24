"""SAP's error envelope, and the message ids the emulator answers with.

Every failure leaves as ``{"error": {"code", "message": {"lang", "value"}, "innererror"}}``; the
``innererror.errordetails`` list names the offending property in ``target``, as SAP Gateway does.
"""

from __future__ import annotations

import json
import uuid

from flask import Response

MANDATORY = "CM_BO_CONSISTENCY/020"
TOO_LONG = "CM_BO_CONSISTENCY/031"
INVALID_CODE = "CM_BO_CONSISTENCY/014"
UNKNOWN_PARTY = "CM_BO_CONSISTENCY/017"
NOT_EDITABLE = "CM_BO_CONSISTENCY/036"
READ_ONLY = "CM_DS_APPL_ERROR/010"
NOT_FOUND = "/IWBEP/CM_MGW_RT/021"
PRECONDITION = "/IWBEP/CM_MGW_RT/073"
NO_AUTHORIZATION = "/IWFND/COD/046"
BAD_REQUEST = "/IWBEP/CM_MGW_RT/004"
BAD_FORMAT = "/IWBEP/CM_MGW_RT/022"


class ODataError(Exception):
    """A request the service refuses; becomes an SAP error envelope.

    Args:
        status: the HTTP status.
        code: SAP's message id.
        message: the text shown to a person.
        target: the property the message is about, if any.
        details: further ``(code, message, target)`` messages for the same request.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        target: str = "",
        details: list[tuple[str, str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details if details is not None else [(code, message, target)]

    def envelope(self) -> dict:
        return {
            "error": {
                "code": self.code,
                "message": {"lang": "en", "value": self.message},
                "innererror": {
                    "application": {
                        "component_id": "AP-RC-ODF",
                        "service_namespace": "/SAP/",
                        "service_id": "C4CODATAAPI",
                        "service_version": "0001",
                    },
                    "transactionid": uuid.uuid4().hex.upper(),
                    "timestamp": "",
                    "errordetails": [
                        {
                            "code": code,
                            "message": message,
                            "propertyref": "",
                            "severity": "error",
                            "target": target,
                        }
                        for code, message, target in self.details
                    ],
                },
            }
        }

    def response(self) -> Response:
        return Response(
            json.dumps(self.envelope()), status=self.status, content_type="application/json"
        )
