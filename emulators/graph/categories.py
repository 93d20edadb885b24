"""Outlook's master category list: ``/outlook/masterCategories``.

Every mailbox starts with Outlook's six coloured defaults. A category's ``displayName`` is fixed
once created (a PATCH may change only ``color``); colours are ``none`` or ``preset0`` to
``preset24``. Names are unique regardless of case; the code Graph answers for a duplicate is
not documented, the emulator says 409 ``ErrorItemAlreadyExists``, and for a PATCH of the name
400 ``ErrorInvalidProperty``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from emulators.graph.errors import (
    GraphError,
    bad_request,
    item_not_found,
    not_convertible,
    unknown_property,
)
from emulators.graph.odata import METADATA, answer, json_body

COLORS = ("none", *(f"preset{n}" for n in range(25)))


def _checked(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    for name in body:
        if name not in {"id", "displayName", "color"} and not name.startswith("@odata."):
            raise unknown_property(name, "outlookCategory")
        if name == "displayName" and "displayName" not in allowed:
            raise bad_request(
                "The property 'displayName' of a category can't be changed.",
                "ErrorInvalidProperty",
            )
    if "color" in body and body["color"] not in COLORS:
        raise not_convertible(body["color"], "microsoft.graph.categoryColor")
    return {name: body[name] for name in allowed if name in body}


def create_blueprint() -> Blueprint:
    categories = Blueprint("categories", __name__)

    def context(suffix: str = "") -> dict[str, str]:
        path = f"users('{g.mailbox.user_id}')/outlook/masterCategories{suffix}"
        return {"@odata.context": METADATA + path}

    def category(category_id: str) -> dict[str, str]:
        found = g.mailbox.categories.get(category_id)
        if found is None:
            raise item_not_found()
        return found

    @categories.get("/outlook/masterCategories")
    def list_categories() -> Response:
        return answer({**context(), "value": list(g.mailbox.categories.values())})

    @categories.post("/outlook/masterCategories")
    def create_category() -> Response:
        wanted = _checked(json_body(), {"displayName", "color"})
        name = wanted.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("The category needs a displayName.", "ErrorInvalidRequest")
        taken = {c["displayName"].lower() for c in g.mailbox.categories.values()}
        if name.lower() in taken:
            raise GraphError(
                409, "ErrorItemAlreadyExists", "An object with the same key already exists."
            )
        made = g.mailbox.add_category(name, wanted.get("color", "none"))
        return answer({**context("/$entity"), **made}, 201)

    @categories.get("/outlook/masterCategories/<category_id>")
    def get_category(category_id: str) -> Response:
        return answer({**context("/$entity"), **category(category_id)})

    @categories.patch("/outlook/masterCategories/<category_id>")
    def update_category(category_id: str) -> Response:
        found = category(category_id)
        found.update(_checked(json_body(), {"color"}))
        return answer({**context("/$entity"), **found})

    @categories.delete("/outlook/masterCategories/<category_id>")
    def delete_category(category_id: str) -> Response:
        g.mailbox.categories.pop(category(category_id)["id"])
        return answer(None, 204)

    return categories
