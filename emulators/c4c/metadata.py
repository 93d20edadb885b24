"""Render the emulator's ``$metadata`` document (EDMX 1.0, OData V2) from the schema table.

Labels (``sap:label``) are written only when the client asks with ``?sap-label=true``, in the
language of ``Accept-Language`` (English or German, English otherwise), as C4C does.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from emulators.c4c.schema import CODE_FIELDS, CODE_LISTS, ENTITY_SETS, NAMESPACE, Field

_HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"'
    ' xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"'
    ' xmlns:sap="http://www.sap.com/Protocols/SAPData"'
    ' xmlns:c4c="http://www.sap.com/Protocols/C4CData">\n'
    '<edmx:DataServices m:DataServiceVersion="2.0">\n'
    f'<Schema Namespace="{NAMESPACE}" xml:lang="en"'
    ' xmlns="http://schemas.microsoft.com/ado/2008/09/edm">\n'
)
_FOOTER = "</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _property(item: Field, language: str | None) -> str:
    attributes = [
        f'Name="{item.name}"',
        f'Type="{item.type}"',
        f'Nullable="{_bool(not item.required)}"',
    ]
    if item.max_length is not None:
        attributes.append(f'MaxLength="{item.max_length}"')
    if item.type == "Edm.DateTimeOffset":
        attributes.append('Precision="7"')
    if item.name == "ETag":
        attributes.append('ConcurrencyMode="Fixed"')
    attributes.append(f'sap:creatable="{_bool(item.creatable)}"')
    attributes.append(f'sap:updatable="{_bool(item.updatable)}"')
    attributes.append('sap:filterable="true"')
    if item.code_list:
        attributes.append(f'c4c:value-help="{item.code_list}"')
    if language:
        attributes.append(f"sap:label={quoteattr(item.label(language))}")
    return f"<Property {' '.join(attributes)}/>"


def _entity_type(name: str, fields: tuple[Field, ...], key: str, language: str | None) -> str:
    lines = [f'<EntityType Name="{name}">', f'<Key><PropertyRef Name="{key}"/></Key>']
    lines.extend(_property(item, language) for item in fields)
    for entity_set in ENTITY_SETS.values():
        if entity_set.type_name != name:
            continue
        for nav in entity_set.navigations:
            lines.append(
                f'<NavigationProperty Name="{nav.name}" Relationship="{NAMESPACE}.{name}{nav.name}"'
                f' FromRole="{name}" ToRole="{nav.name}"/>'
            )
    lines.append("</EntityType>")
    return "\n".join(lines)


def render_metadata(language: str | None) -> str:
    """The ``$metadata`` document.

    Args:
        language: label language (``en``/``de``), or ``None`` to leave labels out.

    Returns:
        The EDMX document as text.
    """
    parts = [_HEADER]
    for entity_set in ENTITY_SETS.values():
        parts.append(_entity_type(entity_set.type_name, entity_set.fields, "ObjectID", language))
    parts.append(_entity_type("CodeList", CODE_FIELDS, "Code", language))
    associations = []
    for entity_set in ENTITY_SETS.values():
        for nav in entity_set.navigations:
            target = ENTITY_SETS[nav.target_set].type_name
            name = f"{entity_set.type_name}{nav.name}"
            parts.append(
                f'<Association Name="{name}">'
                f'<End Type="{NAMESPACE}.{entity_set.type_name}"'
                f' Multiplicity="{"1" if nav.many else "*"}" Role="{entity_set.type_name}"/>'
                f'<End Type="{NAMESPACE}.{target}" Multiplicity="{"*" if nav.many else "0..1"}"'
                f' Role="{nav.name}"/>'
                "</Association>"
            )
            associations.append(
                f'<AssociationSet Name="{name}Set" Association="{NAMESPACE}.{name}">'
                f'<End EntitySet="{entity_set.name}" Role="{entity_set.type_name}"/>'
                f'<End EntitySet="{nav.target_set}" Role="{nav.name}"/>'
                "</AssociationSet>"
            )
    parts.append('<EntityContainer Name="c4codata" m:IsDefaultEntityContainer="true">')
    for entity_set in ENTITY_SETS.values():
        parts.append(
            f'<EntitySet Name="{entity_set.name}" EntityType="{NAMESPACE}.{entity_set.type_name}"'
            ' sap:creatable="true" sap:updatable="true" sap:deletable="true"/>'
        )
    for code_list in CODE_LISTS:
        parts.append(
            f'<EntitySet Name="{code_list}" EntityType="{NAMESPACE}.CodeList"'
            ' sap:creatable="false" sap:updatable="false" sap:deletable="false"/>'
        )
    parts.extend(associations)
    parts.append("</EntityContainer>")
    parts.append(_FOOTER)
    return "\n".join(parts)
