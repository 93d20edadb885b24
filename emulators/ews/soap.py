"""SOAP plumbing of the EWS emulator: parse a request envelope, build response envelopes and faults.

Responses follow the EWS shape ``m:{Op}Response/m:ResponseMessages/m:{Op}ResponseMessage``;
failures that Exchange reports for the whole request (throttling, schema violations, unknown
operations) are SOAP faults with an EWS ``ResponseCode`` in the fault detail and HTTP status 500.
"""

from __future__ import annotations

from lxml import etree

from emulators.base import Fault

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
M_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
T_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
E_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"
NSMAP = {"s": SOAP_NS, "m": M_NS, "t": T_NS}
XML_CONTENT_TYPE = "text/xml; charset=utf-8"

SERVER_BUSY_TEXT = "The server cannot service this request right now. Try again later."


def m(tag: str) -> str:
    """The Clark name of ``tag`` in the messages namespace."""
    return f"{{{M_NS}}}{tag}"


def t(tag: str) -> str:
    """The Clark name of ``tag`` in the types namespace."""
    return f"{{{T_NS}}}{tag}"


class SoapFault(Exception):
    """A failure of the whole request, answered as a SOAP fault (HTTP 500)."""

    def __init__(self, code: str, message: str, back_off_ms: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.back_off_ms = back_off_ms


class EwsError(Exception):
    """A failure of one response message (``ResponseClass="Error"``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def parse_envelope(body: bytes) -> tuple[etree._Element | None, etree._Element]:
    """Split a request into its SOAP header and the operation element inside the body.

    Raises:
        SoapFault: ``ErrorSchemaValidation`` when the request is not a SOAP envelope with exactly
            one operation in the EWS messages namespace.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise SoapFault("ErrorSchemaValidation", f"The request is not valid XML: {error}") from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapFault("ErrorSchemaValidation", "The request is not a SOAP 1.1 envelope.")
    soap_body = root.find(f"{{{SOAP_NS}}}Body")
    if soap_body is None or len(soap_body) != 1:
        raise SoapFault("ErrorSchemaValidation", "The SOAP body must hold exactly one operation.")
    operation = soap_body[0]
    if etree.QName(operation).namespace != M_NS:
        raise SoapFault("ErrorInvalidRequest", "The request is invalid.")
    return root.find(f"{{{SOAP_NS}}}Header"), operation


def envelope(payload: etree._Element) -> bytes:
    """Wrap a response element in a SOAP envelope with the server version header."""
    root = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=NSMAP)
    header = etree.SubElement(root, f"{{{SOAP_NS}}}Header")
    etree.SubElement(
        header,
        t("ServerVersionInfo"),
        MajorVersion="15",
        MinorVersion="2",
        MajorBuildNumber="1544",
        MinorBuildNumber="4",
        Version="V2017_07_11",
    )
    etree.SubElement(root, f"{{{SOAP_NS}}}Body").append(payload)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def fault_body(code: str, message: str, back_off_ms: int | None = None) -> bytes:
    """A SOAP fault as Exchange sends it, with the EWS code (and back-off) in the detail."""
    root = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"s": SOAP_NS})
    fault = etree.SubElement(etree.SubElement(root, f"{{{SOAP_NS}}}Body"), f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode", nsmap={"a": T_NS}).text = f"a:{code}"
    faultstring = etree.SubElement(fault, "faultstring")
    faultstring.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    faultstring.text = message
    detail = etree.SubElement(fault, "detail")
    etree.SubElement(detail, f"{{{E_NS}}}ResponseCode", nsmap={"e": E_NS}).text = code
    etree.SubElement(detail, f"{{{E_NS}}}Message", nsmap={"e": E_NS}).text = message
    if back_off_ms is not None:
        message_xml = etree.SubElement(detail, t("MessageXml"), nsmap={"t": T_NS})
        etree.SubElement(message_xml, t("Value"), Name="BackOffMilliseconds").text = str(
            back_off_ms
        )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def server_busy_fault(back_off_ms: int, *, times: int = 1, operation: str | None = None) -> Fault:
    """A :class:`Fault` answering ``ErrorServerBusy`` with ``BackOffMilliseconds`` like Exchange.

    Args:
        back_off_ms: the back-off the server asks for, in milliseconds.
        times: how many requests get the fault.
        operation: not used for matching (faults match on path); kept in the body's message.
    """
    text = SERVER_BUSY_TEXT if operation is None else f"{SERVER_BUSY_TEXT} ({operation})"
    return Fault(
        path="/EWS/Exchange.asmx",
        method="POST",
        times=times,
        status=500,
        body=fault_body("ErrorServerBusy", text, back_off_ms).decode(),
        content_type=XML_CONTENT_TYPE,
    )


def response(operation: str, messages: list[etree._Element]) -> etree._Element:
    """``m:{operation}Response`` holding the given response messages."""
    element = etree.Element(m(f"{operation}Response"), nsmap=NSMAP)
    container = etree.SubElement(element, m("ResponseMessages"))
    container.extend(messages)
    return element


def success(operation: str) -> etree._Element:
    """A ``ResponseClass="Success"`` message with ``NoError``; callers append the payload."""
    message = etree.Element(m(f"{operation}ResponseMessage"), ResponseClass="Success")
    etree.SubElement(message, m("ResponseCode")).text = "NoError"
    return message


ITEM_INFO_OPERATIONS = frozenset(["GetItem", "CreateItem", "UpdateItem"])
"""Their messages are ``m:ItemInfoResponseMessageType``, whose ``m:Items`` is required: an error
message carries it empty, as Exchange sends it."""


def error(operation: str, failure: EwsError) -> etree._Element:
    """A ``ResponseClass="Error"`` message for one failed id or request."""
    message = etree.Element(m(f"{operation}ResponseMessage"), ResponseClass="Error")
    etree.SubElement(message, m("MessageText")).text = failure.message
    etree.SubElement(message, m("ResponseCode")).text = failure.code
    etree.SubElement(message, m("DescriptiveLinkKey")).text = "0"
    if operation in ITEM_INFO_OPERATIONS:
        etree.SubElement(message, m("Items"))
    return message
