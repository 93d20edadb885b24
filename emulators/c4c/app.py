"""The emulated C4C OData service: routing, reads, writes, ``$batch``, auth and CSRF checks.

:func:`create_app` builds the Flask app; :class:`Service` holds one tenant's data and
answers every request, top-level or inside a ``$batch``, through :meth:`Service.dispatch`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, request

from emulators.c4c import errors
from emulators.c4c.batch import Answer, Operation, run_batch
from emulators.c4c.errors import ODataError
from emulators.c4c.json_format import entity_json, entity_uri, etag_of
from emulators.c4c.metadata import render_metadata
from emulators.c4c.query import parse_filter, parse_select, sort_rows
from emulators.c4c.schema import CODE_LISTS, ENTITY_SETS, NAMESPACE
from emulators.c4c.security import MODIFYING, Security
from emulators.c4c.store import Store

BASE_PATH = "/sap/c4c/odata/v1/c4codataapi/"
_ENTITY = re.compile(r"^(\w+)\((?:ObjectID=)?'([^']+)'\)(?:/(\w+))?$")
_UNAUTHORIZED = "<html><head><title>Logon Error Message</title></head><body>401</body></html>"


class Service:
    """One emulated tenant: its data, its users, and how it answers OData requests.

    Args:
        store: the tenant's data.
        security: users, bearer tokens and CSRF sessions.
        page_size: rows per server page before ``__next``.
    """

    def __init__(self, store: Store, security: Security, page_size: int = 1000) -> None:
        self.store = store
        self.security = security
        self.page_size = page_size
        self.rows_served = 0
        """Entities sent in answers to collection reads (what clients made C4C read)."""
        self.refuse_inside: Callable[[Operation], Answer | None] = lambda _operation: None
        """The answer planned for an operation of a ``$batch`` instead of its own, if any (the
        emulator's faults marked ``inside_batch``)."""

    def reset(self) -> None:
        """Forget all data and CSRF sessions (a fresh tenant, same users)."""
        self.store = Store()
        self.security.forget_sessions()

    def dispatch(self, operation: Operation, root: str, user: str | None = None) -> Answer:
        """Answer one request of ``user`` addressed relative to the service root."""
        try:
            return self._route(operation, root, user)
        except ODataError as error:
            return Answer(
                error.status,
                {"Content-Type": "application/json"},
                json.dumps(error.envelope()).encode(),
            )

    def _route(self, operation: Operation, root: str, user: str | None) -> Answer:
        path, _, query_text = operation.resource.partition("?")
        path = path.removeprefix(BASE_PATH)
        named = _ENTITY.match(path)
        if not self.security.may_use(user, named.group(1) if named else path):
            raise ODataError(
                403, errors.NO_AUTHORIZATION, "User does not have sufficient authorization"
            )
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        method = operation.method
        if method == "POST" and operation.headers.get("x-http-method", "").upper() == "MERGE":
            method = "MERGE"
        if path in ENTITY_SETS:
            if method == "GET":
                return self._read_set(path, query, root)
            if method == "POST":
                return self._create(path, _payload(operation.body), root)
        elif path in CODE_LISTS and method == "GET":
            return _json(200, {"d": {"results": _code_rows(root, path)}})
        elif match := _ENTITY.match(path):
            set_name, object_id, navigation = match.groups()
            if set_name in ENTITY_SETS:
                return self._entity(method, set_name, object_id, navigation, operation, root)
        elif path == "" and method == "GET":
            return _json(200, {"d": {"EntitySets": [*ENTITY_SETS, *CODE_LISTS]}})
        else:
            raise ODataError(404, errors.NOT_FOUND, f"Resource not found for segment '{path}'")
        raise ODataError(405, errors.BAD_REQUEST, f"Method {method} not allowed for '{path}'")

    def _entity(
        self,
        method: str,
        set_name: str,
        object_id: str,
        navigation: str | None,
        operation: Operation,
        root: str,
    ) -> Answer:
        entity_set = ENTITY_SETS[set_name]
        row = self.store.get(set_name, object_id)
        if navigation:
            nav = next((n for n in entity_set.navigations if n.name == navigation), None)
            if nav is None:
                raise ODataError(404, errors.NOT_FOUND, f"Unknown navigation '{navigation}'")
            if method == "GET":
                return _json(200, {"d": self._follow(nav, row, root)})
            if method == "POST" and nav.many:  # a node row added through its object
                payload = {**_payload(operation.body), nav.target_field: row[nav.source_field]}
                return self._create(nav.target_set, payload, root)
            raise ODataError(405, errors.BAD_REQUEST, f"Method {method} not allowed")
        if method == "GET":
            return _json(200, {"d": entity_json(root, entity_set, row)}, ETag=etag_of(row))
        if_match = operation.headers.get("if-match")
        if if_match and if_match != "*" and if_match != etag_of(row):
            raise ODataError(
                412, errors.PRECONDITION, "The entity was changed by another user (ETag mismatch)"
            )
        if method in ("PATCH", "MERGE", "PUT"):
            payload = _payload(operation.body)
            if method == "PUT":
                cleared = {item.name: None for item in entity_set.fields if item.updatable}
                payload = {**cleared, **payload}
            changed = self.store.update(set_name, object_id, payload)
            return Answer(204, {"ETag": etag_of(changed)})
        if method == "DELETE":
            self.store.delete(set_name, object_id)
            return Answer(204)
        raise ODataError(405, errors.BAD_REQUEST, f"Method {method} not allowed")

    def _create(self, set_name: str, payload: dict[str, Any], root: str) -> Answer:
        row = self.store.create(set_name, payload)
        entity_set = ENTITY_SETS[set_name]
        return _json(
            201,
            {"d": entity_json(root, entity_set, row)},
            Location=entity_uri(root, entity_set, row),
            ETag=etag_of(row),
        )

    def _follow(self, nav: Any, row: dict[str, Any], root: str) -> dict[str, Any] | None:
        target_set = ENTITY_SETS[nav.target_set]
        value = row.get(nav.source_field)
        if nav.many:
            rows = [r for r in self.store.all(nav.target_set) if r[nav.target_field] == value]
            return {"results": [entity_json(root, target_set, r) for r in rows]}
        target = next(
            (r for r in self.store.all(nav.target_set) if value and r[nav.target_field] == value),
            None,
        )
        return entity_json(root, target_set, target) if target else None

    def _read_set(self, set_name: str, query: dict[str, str], root: str) -> Answer:
        entity_set = ENTITY_SETS[set_name]
        rows = self.store.all(set_name)
        if query.get("$filter"):
            predicate = parse_filter(entity_set, query["$filter"])
            rows = [row for row in rows if predicate(row)]
        rows = sort_rows(entity_set, rows, query.get("$orderby", "ObjectID"))
        total = len(rows)
        skip, top = _number(query, "$skip", 0), _number(query, "$top", None)
        window = rows[skip : None if top is None else skip + top]
        offset = _number(query, "$skiptoken", 0)
        page = window[offset : offset + self.page_size]
        select = parse_select(entity_set, query.get("$select", ""))
        expand = [name for name in query.get("$expand", "").split(",") if name]
        navigations = {nav.name: nav for nav in entity_set.navigations}
        if any(name not in navigations for name in expand):
            raise ODataError(400, errors.BAD_REQUEST, f"Invalid $expand '{query['$expand']}'")
        results = [
            entity_json(
                root, entity_set, row, select,
                {name: self._follow(navigations[name], row, root) for name in expand},
            )
            for row in page
        ]  # fmt: skip
        self.rows_served += len(results)
        body: dict[str, Any] = {"results": results}
        if query.get("$inlinecount") == "allpages":
            body["__count"] = str(total)
        if offset + self.page_size < len(window):
            following = {**query, "$skiptoken": str(offset + self.page_size)}
            body["__next"] = f"{root}{set_name}?{urlencode(following)}"
        return _json(200, {"d": body})

    def in_batch(self, operation: Operation, root: str, user: str | None = None) -> Answer:
        """Answer one operation of a ``$batch``: as :meth:`dispatch` does, unless a fault was
        planned for it (:attr:`refuse_inside`)."""
        refused = self.refuse_inside(operation)
        return refused if refused is not None else self.dispatch(operation, root, user)

    def run_changeset(
        self, operations: list[Operation], root: str, user: str | None = None
    ) -> list[Answer]:
        """Run a changeset atomically; on failure, the failing answer alone."""
        answers: list[Answer] = []
        try:
            with self.store.transaction():
                for operation in operations:
                    answer = self.in_batch(operation, root, user)
                    if answer.status >= 400:
                        raise _ChangesetFailed(answer)
                    answers.append(answer)
        except _ChangesetFailed as failure:
            return [failure.answer]
        return answers


class _ChangesetFailed(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"null")
    except ValueError as error:
        raise ODataError(400, errors.BAD_FORMAT, "Malformed JSON in request body") from error
    if not isinstance(payload, dict):
        raise ODataError(400, errors.BAD_FORMAT, "Request body must be a JSON object")
    return payload


def _number(query: dict[str, str], name: str, default: int | None) -> Any:
    if name not in query:
        return default
    if not query[name].isdigit():
        raise ODataError(400, errors.BAD_REQUEST, f"Invalid value for {name}")
    return int(query[name])


def _json(status: int, body: dict[str, Any], **headers: str) -> Answer:
    return Answer(
        status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()
    )


def _code_rows(root: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "__metadata": {"uri": f"{root}{name}('{code}')", "type": f"{NAMESPACE}.CodeList"},
            "Code": code,
            "Description": text,
        }
        for code, text in CODE_LISTS[name].items()
    ]


def create_app(service: Service) -> Flask:
    """The Flask app serving ``service`` under C4C's base path.

    Args:
        service: the tenant to serve.

    Returns:
        A Flask app (wrap it in ``emulators.base.Emulator`` to serve it).
    """
    app = Flask("emulators.c4c")
    methods = ["GET", "POST", "PUT", "PATCH", "MERGE", "DELETE"]

    @app.route(BASE_PATH, defaults={"resource": ""}, methods=methods)
    @app.route(f"{BASE_PATH}<path:resource>", methods=methods)
    def odata(resource: str) -> Response:
        """Authenticate, check CSRF on writes, then answer $metadata, $batch or a resource."""
        if not service.security.authenticated(request):
            return Response(
                _UNAUTHORIZED, 401, content_type="text/html",
                headers={"WWW-Authenticate": 'Basic realm="SAP NetWeaver Application Server"'},
            )  # fmt: skip
        root = request.host_url.rstrip("/") + BASE_PATH
        if request.method in MODIFYING and not service.security.csrf_valid(request):
            return Response(
                "CSRF token validation failed", 403, content_type="text/plain",
                headers={"x-csrf-token": "Required"},
            )  # fmt: skip
        if resource == "$metadata" and request.method == "GET":
            language = request.accept_languages.best_match(["en", "de"]) or "en"
            labelled = request.args.get("sap-label") == "true"
            response = Response(
                render_metadata(language if labelled else None), content_type="application/xml"
            )
        elif resource == "$batch" and request.method == "POST":
            response = _batch(service, root)
        else:
            answer = service.dispatch(
                Operation(request.method, request.full_path.removeprefix(BASE_PATH).rstrip("?"),
                          {k.lower(): v for k, v in request.headers.items()}, request.get_data()),
                root, service.security.user_of(request),
            )  # fmt: skip
            response = Response(answer.body, answer.status, headers=answer.headers)
        if request.method == "GET" and request.headers.get("x-csrf-token", "").lower() == "fetch":
            service.security.fetch_token(request, response)
        return response

    return app


def _batch(service: Service, root: str) -> Response:
    user = service.security.user_of(request)
    try:
        content_type, body = run_batch(
            request.get_data(),
            request.headers.get("Content-Type", ""),
            lambda operation: service.in_batch(operation, root, user),
            lambda operations: service.run_changeset(operations, root, user),
        )
    except ODataError as error:
        return error.response()
    return Response(body, 202, content_type=content_type)
