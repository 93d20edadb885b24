"""The requests every item type answers alike: list, get, create, update and delete.

Views of each type find the folder or item and call these; the type's
:class:`~emulators.graph.schema.EntityType` checks bodies and renders answers, and its hooks
add what is special (read-only properties of received mail, meeting notifications). Writes
honour ``If-Match`` unless the type says the service ignores it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g

from emulators.graph.delta import delta
from emulators.graph.errors import bad_request
from emulators.graph.mailbox import Folder, Item, Mailbox
from emulators.graph.odata import (
    METADATA,
    answer,
    category_filter,
    check_if_match,
    json_body,
    page,
    project,
    selected,
)
from emulators.graph.schema import EntityType, ItemType


def context(mailbox: Mailbox, path: str) -> str:
    return f"users('{mailbox.user_id}')/{path}"


def entity_context(kind: EntityType) -> dict[str, str]:
    return {"@odata.context": METADATA + context(g.mailbox, f"{_plural(kind)}/$entity")}


def show(kind: ItemType, item: Item) -> Response:
    entity = project(kind.render(item, g.mailbox), selected(kind.known, kind.name))
    return answer({**entity_context(kind), **entity})


def listing(kind: ItemType, folder: Folder, path: str) -> Response:
    """The folder's items, newest first, filtered by category if asked, paged."""
    names = selected(kind.known, kind.name)
    category = category_filter()
    items = sorted(g.mailbox.items_in(folder.id), key=lambda i: i.created, reverse=True)
    if category is not None:
        items = [i for i in items if category in i.fields.get("categories", [])]
    entities = [project(kind.render(item, g.mailbox), names) for item in items]
    return page(entities, context(g.mailbox, path))


def insert(
    kind: ItemType, mailbox: Mailbox, folder: Folder, body: dict[str, Any], *, react: bool = True
) -> Item:
    """Create an item from a POST body as the service would; seeding passes ``react=False``
    for items that were there before (no meeting invitations go out for them)."""
    changes = kind.check(body)
    kind.adjust(changes, None, mailbox)
    item = mailbox.add_item(kind.name, folder.id, changes)
    if react:
        kind.after_create(item, mailbox)
    return item


def create(kind: ItemType, folder: Folder) -> Response:
    item = insert(kind, g.mailbox, folder, json_body())
    return answer({**entity_context(kind), **kind.render(item, g.mailbox)}, 201)


def update(kind: ItemType, item: Item) -> Response:
    if kind.checks_if_match:
        check_if_match(item.etag)
    sent = json_body()
    changes = kind.check(sent)
    kind.before_update(item, changes)
    kind.adjust(changes, item, g.mailbox)
    before = dict(item.fields)
    g.mailbox.touch(item, changes)
    kind.after_update(item, {k: sent[k] for k in sent if k in changes}, before, g.mailbox)
    return answer(kind.render(item, g.mailbox))


def delete(kind: ItemType, item: Item) -> Response:
    if kind.checks_if_match:
        check_if_match(item.etag)
    kind.before_delete(item, g.mailbox)
    g.mailbox.remove(item)
    return answer(None, 204)


DELTA_FORMS = ("delta", "delta()")
"""The delta query as a path segment and as an OData function call: Graph answers both."""


def add_collection_routes(
    blueprint: Blueprint,
    kind: ItemType,
    rules: tuple[str, ...],
    find: Callable[..., Folder],
    *,
    with_delta: bool = True,
) -> None:
    """Listing (GET) and creating (POST) the items of the folder at each of ``rules``, and
    (``with_delta``) the folder's delta query at ``<rule>/delta``, or ``<rule>/delta()`` as an
    OData function call (Microsoft's Graph SDK sends that form, and Graph accepts both);
    ``find`` takes the rule's arguments and returns the folder (or raises 404)."""

    def list_items(**args: str) -> Response:
        return listing(kind, find(**args), _plural(kind))

    def create_item(**args: str) -> Response:
        return create(kind, find(**args))

    def delta_items(**args: str) -> Response:
        folder = find(**args)
        return delta(kind, {folder.id}, folder.id)

    for rule in rules:
        blueprint.add_url_rule(rule, f"list_{kind.name}s", list_items, methods=["GET"])
        blueprint.add_url_rule(rule, f"create_{kind.name}", create_item, methods=["POST"])
        if with_delta:
            for form in DELTA_FORMS:
                blueprint.add_url_rule(f"{rule}/{form}", f"{kind.name}s_delta", delta_items)


def add_item_routes(
    blueprint: Blueprint, kind: ItemType, rules: tuple[str, ...], find: Callable[..., Item]
) -> None:
    """GET, PATCH and DELETE of one item at each of ``rules``; ``find`` takes the rule's
    arguments and returns the item (or raises 404)."""

    def get_item(**args: str) -> Response:
        return show(kind, find(**args))

    def update_item(**args: str) -> Response:
        return update(kind, find(**args))

    def delete_item(**args: str) -> Response:
        return delete(kind, find(**args))

    for rule in rules:
        blueprint.add_url_rule(rule, f"get_{kind.name}", get_item, methods=["GET"])
        blueprint.add_url_rule(rule, f"update_{kind.name}", update_item, methods=["PATCH"])
        blueprint.add_url_rule(rule, f"delete_{kind.name}", delete_item, methods=["DELETE"])


def folder_name() -> str:
    """The ``displayName`` of a folder-creating body.

    Raises:
        GraphError: 400 without a name.
    """
    name = json_body().get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("The folder name can't be empty.", "ErrorInvalidFolderName")
    return name


def _plural(kind: EntityType) -> str:
    return {"todoTask": "todo/lists/tasks"}.get(kind.name, kind.name + "s")
