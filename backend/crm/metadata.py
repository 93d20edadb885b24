"""Field definitions of C4C entities, read from the service's ``$metadata``, for the Save dialog.

The document is parsed with pyodata (SAP's own OData model, strict mode); code fields name their
value list in ``c4c:value-help``, which pyodata does not keep, so that attribute is read with lxml.
Definitions are cached per tenant: ``$metadata`` and code lists change with releases, not runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from lxml import etree
from pyodata.v2.model import Config, MetadataBuilder, PolicyFatal

C4C_NAMESPACE = "http://www.sap.com/Protocols/C4CData"
EDM_NAMESPACE = "http://schemas.microsoft.com/ado/2008/09/edm"


@dataclass(frozen=True)
class FieldDefinition:
    """One property as the Save dialog shows it.

    Attributes:
        name: the OData property name.
        label: ``sap:label`` in the requested language.
        type: the EDM type (``Edm.String``...).
        required: ``Nullable="false"`` and writable on create.
        max_length: ``MaxLength``, if any.
        creatable: may be sent on create.
        updatable: may be sent on update.
        code_list: the code list entity set for code fields.
        codes: code to description, for code fields.
    """

    name: str
    label: str
    type: str
    required: bool
    max_length: int | None
    creatable: bool
    updatable: bool
    code_list: str | None = None
    codes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EntityDefinition:
    entity_set: str
    fields: dict[str, FieldDefinition]

    @property
    def required(self) -> list[str]:
        return [name for name, item in self.fields.items() if item.required]


class MetadataSource(Protocol):
    """What the cache needs from a C4C client (``C4CClient`` satisfies it)."""

    def metadata_xml(self, language: str = "en") -> bytes:
        """The ``$metadata`` document with labels in ``language``."""
        ...

    def code_list(self, collection: str) -> dict[str, str]:
        """The values of one code list entity set."""
        ...


def parse_metadata(
    xml: bytes, codes: dict[str, dict[str, str]] | None = None
) -> dict[str, EntityDefinition]:
    """Entity definitions per entity set from a ``$metadata`` document.

    Args:
        xml: the document (fetched with ``sap-label=true``).
        codes: values per code list entity set, if already read.

    Returns:
        Definitions keyed by entity set name.

    Raises:
        pyodata.exceptions.PyODataParserError: when the document is not valid OData V2.
    """
    schema = MetadataBuilder(xml, config=Config(default_error_policy=PolicyFatal())).build()
    value_help = _value_help(xml)
    codes = codes or {}
    definitions = {}
    for entity_set in schema.entity_sets:
        entity_type = entity_set.entity_type
        fields = {}
        for prop in entity_type.proprties():
            code_list = value_help.get((entity_type.name, prop.name))
            fields[prop.name] = FieldDefinition(
                name=prop.name,
                label=prop.label or prop.name,
                type=prop.typ.name,
                required=not prop.nullable and prop.creatable,
                max_length=prop.max_length if prop.max_length and prop.max_length > 0 else None,
                creatable=prop.creatable,
                updatable=prop.updatable,
                code_list=code_list,
                codes=tuple(codes.get(code_list or "", {}).items()),
            )
        definitions[entity_set.name] = EntityDefinition(entity_set.name, fields)
    return definitions


def _value_help(xml: bytes) -> dict[tuple[str, str], str]:
    root = etree.fromstring(xml)
    found = {}
    for entity_type in root.iter(f"{{{EDM_NAMESPACE}}}EntityType"):
        for prop in entity_type.iter(f"{{{EDM_NAMESPACE}}}Property"):
            help_set = prop.get(f"{{{C4C_NAMESPACE}}}value-help")
            if help_set:
                found[(entity_type.get("Name"), prop.get("Name"))] = help_set
    return found


class MetadataCache:
    """Entity definitions per tenant and language, loaded once and kept for ``max_age`` seconds.

    Args:
        max_age: seconds before a tenant's definitions are read again.
    """

    def __init__(self, max_age: float = 24 * 3600.0) -> None:
        self.max_age = max_age
        self._entries: dict[tuple[str, str], tuple[float, dict[str, EntityDefinition]]] = {}
        self._lock = threading.Lock()

    def definitions(
        self, tenant: str, source: MetadataSource, language: str = "en"
    ) -> dict[str, EntityDefinition]:
        """The tenant's definitions, read through ``source`` when missing or stale.

        Args:
            tenant: the tenant's key.
            source: a client of that tenant's C4C.
            language: label language.

        Returns:
            Definitions keyed by entity set name, code values filled in.
        """
        key = (tenant, language)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[0] < self.max_age:
            return entry[1]
        xml = source.metadata_xml(language)
        lists = sorted(set(_value_help(xml).values()))
        definitions = parse_metadata(xml, {name: source.code_list(name) for name in lists})
        with self._lock:
            self._entries[key] = (time.monotonic(), definitions)
        return definitions

    def forget(self, tenant: str) -> None:
        """Drop a tenant's definitions (after a C4C upgrade, say).

        Args:
            tenant: the tenant's key.
        """
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if k[0] != tenant}
