"""The C4C OData V2 client: one ``requests.Session`` with CSRF, ETags, paging, delta and batch.

Reads follow C4C's server pages (``__next``); delta reads filter on ``EntityLastChangedOn``.
Writes carry a CSRF token fetched once per session (fetched again once on ``Required``) and the
entity's ETag in ``If-Match``. Every create carries our reference in ``ExternalID``: after an
answer that may have been lost, the client looks the reference up before sending the create
again, so a retry never makes a duplicate. 429/503 are retried after ``Retry-After`` (bounded,
with jittered backoff).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import requests

from backend.crm.batch import (
    BatchResult,
    BatchWrite,
    batch_results,
    decode_batch,
    encode_batch,
    encode_reads,
)
from backend.crm.bulk import create_chunk
from backend.crm.errors import C4CConnectionError, C4CError, C4CHTTPError
from backend.crm.transport import CallGuard, ODataTransport, RetryPolicy
from backend.crm.values import entity_from_json, odata_quote, to_json_values

KEY_SAFE = "'"
"""Characters a key literal keeps unencoded in a URL: only OData's string quotes."""


class C4CClient:
    """A client for one tenant's ``c4codataapi`` service.

    Args:
        base_url: the service root, ``https://<tenant>/sap/c4c/odata/v1/c4codataapi/``.
        user: Basic-auth user (with ``password``), or ``None`` when ``token`` is used.
        password: Basic-auth password.
        token: an OAuth bearer token instead of Basic auth.
        auth: how to authenticate each request instead (``backend.crm.oauth.SamlBearerAuth``).
        timeout: seconds to connect and to wait for each answer, or ``(connect, read)``.
        batch_size: writes per ``$batch`` request.
        retry: the retry policy for throttling and network errors.
        session: the session to use (one is created otherwise).
        sleep: how to wait between tries (tests pass a recorder; ``None``: the clock, a wait
            that ends when the run stops the client).
        guard: sees every request, and may stop the client talking to a C4C that does not
            answer (``backend.sync.service_guard``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        auth: requests.auth.AuthBase | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        batch_size: int = 100,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        guard: CallGuard | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers["Accept"] = "application/json"
        if auth is not None:
            self.session.auth = auth
        elif token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            self.session.auth = (user, password or "")
        self.transport = ODataTransport(
            self.session, self.base_url, timeout, self.retry, sleep, guard
        )

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (CSRF fetches and retries included)."""
        return self.transport.requests_sent

    def _url(self, entity_set: str, object_id: str) -> str:
        """The entity's URL, its key literal percent-encoded: whatever the key holds (``/``,
        ``?``, ``#``, ``%``...), the URL names that one entity and nothing else."""
        return self.base_url + _resource(entity_set, object_id)

    # -- reads ---------------------------------------------------------------------------------

    def read(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: list[str] | None = None,
        orderby: str | None = None,
        top: int | None = None,
        expand: list[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every entity matching the query, following C4C's server pages.

        Args:
            entity_set: e.g. ``ContactCollection``.
            filter: a ``$filter`` expression in C4C's subset.
            select: properties to return (``None`` for all).
            orderby: an ``$orderby`` clause.
            top: the most entities to return.
            expand: navigations to expand.

        Yields:
            Entities, date-times as aware datetimes, ``__metadata`` kept.

        Raises:
            C4CError: when a page cannot be read.
        """
        params = {"$format": "json"}
        for name, value in (("$filter", filter), ("$orderby", orderby)):
            if value:
                params[name] = value
        if select:
            params["$select"] = ",".join(select)
        if expand:
            params["$expand"] = ",".join(expand)
        if top is not None:
            params["$top"] = str(top)
        page = self.transport.send("GET", self.base_url + entity_set, params=params).json()["d"]
        yield from self._following(page)

    def _following(self, page: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The entities of an answer's ``page`` and of the pages C4C chains after it (``__next``).

        Raises:
            C4CError: when a page cannot be read.
        """
        while True:
            yield from (entity_from_json(raw) for raw in page["results"])
            if not (url := page.get("__next")):
                return
            page = self.transport.send("GET", url).json()["d"]

    def changes(
        self,
        entity_set: str,
        since: datetime | None,
        select: list[str] | None = None,
        expand: list[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Entities changed at or after ``since`` (all of them when ``None``), oldest first.

        Args:
            entity_set: the set to read.
            since: the ``EntityLastChangedOn`` of the last change already seen.
            select: the mapped properties; key, ETag and change time are always added.
            expand: nodes read with each entity (also in ``select``, as OData V2 wants); a
                change of a node changes its entity, so the delta shows it.

        Yields:
            Changed entities.

        Raises:
            C4CError: when a page cannot be read.
        """
        wanted = None
        if select:
            wanted = list(
                dict.fromkeys([*select, "ObjectID", "ETag", "EntityLastChangedOn", *(expand or [])])
            )
        condition = None
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            condition = f"EntityLastChangedOn ge datetimeoffset'{stamp}'"
        return self.read(
            entity_set, filter=condition, select=wanted, orderby="EntityLastChangedOn asc",
            expand=expand,
        )  # fmt: skip

    def get(self, entity_set: str, object_id: str) -> dict[str, Any]:
        """One entity by ``ObjectID``.

        Args:
            entity_set: the entity's set.
            object_id: its ``ObjectID``.

        Returns:
            The entity, date-times converted.

        Raises:
            C4CHTTPError: 404 when it does not exist.
        """
        response = self.transport.send("GET", self._url(entity_set, object_id))
        return entity_from_json(response.json()["d"])

    def read_matching(
        self,
        entity_set: str,
        field: str,
        values: list[str],
        *,
        chunk: int,
        select: list[str] | None = None,
        per_request: int = 1,
    ) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
        """The entities whose ``field`` is one of ``values``, ``chunk`` values to a query
        (``field eq 'a' or field eq 'b' ...``: C4C allows ``or`` on one property), and
        ``per_request`` queries to a request: two or more go as the retrieve requests of one
        ``$batch`` (a query's URL is bounded; a batch of them is one round trip), a lone query as
        a plain request.

        Yields:
            Each chunk of values with the entities its query found, so a caller knows what
            C4C lacks only for the chunks read so far.

        Raises:
            C4CError: when a chunk cannot be read.
        """
        chunks = [values[start : start + chunk] for start in range(0, len(values), chunk)]
        queries = [" or ".join(f"{field} eq {odata_quote(v)}" for v in asked) for asked in chunks]
        step = max(per_request, 1)
        for start in range(0, len(chunks), step):
            group = queries[start : start + step]
            if len(group) == 1:  # a plain request: no CSRF token, C4C's paging as it comes
                yield chunks[start], list(self.read(entity_set, filter=group[0], select=select))
                continue
            found = self._read_batched(entity_set, group, select)
            yield from zip(chunks[start : start + len(group)], found, strict=True)

    def _read_batched(
        self, entity_set: str, filters: list[str], select: list[str] | None
    ) -> list[list[dict[str, Any]]]:
        """The entities of each ``$filter`` query, read as the retrieve requests of one
        ``$batch``; a query whose answer C4C pages goes on with plain requests.

        Raises:
            C4CError: when the batch, or one of its queries, cannot be read.
        """
        query = {"$format": "json", **({"$select": ",".join(select)} if select else {})}
        content_type, body = encode_reads(
            [f"{entity_set}?{urlencode({**query, '$filter': f}, quote_via=quote)}" for f in filters]
        )
        response = self.transport.send(
            "POST",
            self.base_url + "$batch",
            data=body,
            headers={"Content-Type": content_type},
            reads_only=True,
        )
        answers = decode_batch(response.headers.get("Content-Type", ""), response.content)
        if len(answers) != len(filters):
            raise C4CError(f"$batch answered {len(answers)} parts for {len(filters)} queries")
        found = []
        for answer in answers:
            if answer.status >= 400:
                raise C4CHTTPError.from_parts(answer.status, answer.headers, answer.body)
            found.append(list(self._following(json.loads(answer.body)["d"])))
        return found

    def find_by_external_id(self, entity_set: str, external_id: str) -> dict[str, Any] | None:
        """The entity carrying our reference, if any.

        Args:
            entity_set: the set to look in.
            external_id: our reference (``ExternalID``).

        Returns:
            The entity, or ``None`` when C4C has none with that reference.
        """
        found = self.read(entity_set, filter=f"ExternalID eq {odata_quote(external_id)}", top=1)
        return next(found, None)

    def metadata_xml(self, language: str = "en") -> bytes:
        """The service's ``$metadata`` with labels in ``language``.

        Args:
            language: the label language (``Accept-Language``).

        Returns:
            The EDMX document.
        """
        response = self.transport.send(
            "GET",
            self.base_url + "$metadata",
            params={"sap-label": "true"},
            headers={"Accept": "application/xml", "Accept-Language": language},
        )
        return response.content

    def code_list(self, collection: str) -> dict[str, str]:
        """The values of a code list.

        Args:
            collection: the code list's entity set (from ``c4c:value-help``).

        Returns:
            ``Code`` to ``Description``.
        """
        return {row["Code"]: row["Description"] for row in self.read(collection)}

    # -- writes --------------------------------------------------------------------------------

    def create(self, entity_set: str, values: dict[str, Any], external_id: str) -> dict[str, Any]:
        """Create an entity once, even when an answer is lost.

        Args:
            entity_set: the set to create in.
            values: the properties to send.
            external_id: our reference, stored in ``ExternalID``.

        Returns:
            The created (or, after a lost answer, the already existing) entity.

        Raises:
            C4CHTTPError: when C4C refuses the create.
            C4CConnectionError: when C4C stays unreachable.
        """
        payload = to_json_values(values)
        payload["ExternalID"] = external_id
        for attempt in range(self.retry.attempts):
            try:
                response = self.transport.send("POST", self.base_url + entity_set, json=payload)
                return entity_from_json(response.json()["d"])
            except C4CConnectionError as error:
                if error.sent and (found := self.find_by_external_id(entity_set, external_id)):
                    return found
                if attempt + 1 >= self.retry.attempts:
                    raise
                self.transport.pause(self.retry.delay(attempt, None))
        raise AssertionError("unreachable")

    def update(
        self, entity_set: str, object_id: str, values: dict[str, Any], etag: str | None
    ) -> str | None:
        """Change an entity (``PATCH``), guarded by its ETag.

        Args:
            entity_set: the entity's set.
            object_id: its ``ObjectID``.
            values: the properties to change.
            etag: the ETag read with it; ``None`` updates unconditionally.

        Returns:
            The new ETag, when C4C sent one.

        Raises:
            C4CHTTPError: 412 when someone changed it since, 403 when it is read-only, ...
        """
        headers = {"If-Match": etag} if etag else {}
        payload = to_json_values(values)
        url = self._url(entity_set, object_id)
        response = self.transport.send("PATCH", url, json=payload, headers=headers)
        return response.headers.get("ETag")

    def delete(self, entity_set: str, object_id: str, etag: str | None = None) -> None:
        """Delete an entity, guarded by its ETag when given.

        Args:
            entity_set: the entity's set.
            object_id: its ``ObjectID``.
            etag: the ETag read with it, or ``None``.

        Raises:
            C4CHTTPError: 404 when already gone, 403 when read-only, 412 when changed since.
        """
        headers = {"If-Match": etag} if etag else {}
        self.transport.send("DELETE", self._url(entity_set, object_id), headers=headers)

    def create_many(
        self, entity_set: str, records: list[tuple[str, dict[str, Any]]]
    ) -> list[BatchResult]:
        """Create many entities in ``$batch`` requests, one changeset per record.

        Args:
            entity_set: the set to create in.
            records: ``(external_id, values)`` pairs.

        Returns:
            One result per record, in order.

        Raises:
            C4CError: when a batch request itself fails after the retries; the records of
                earlier requests are created (a new call finds them by ``ExternalID``).
        """
        results: list[BatchResult] = []
        for start in range(0, len(records), self.batch_size):
            chunk = records[start : start + self.batch_size]
            results += create_chunk(self, entity_set, chunk)
        return results

    def update_many(
        self, entity_set: str, changes: list[tuple[str, dict[str, Any], str | None]]
    ) -> list[BatchResult]:
        """Change many entities in one ``$batch`` request, each ``PATCH`` in its own changeset
        and guarded by its ETag, so one refused change fails only itself.

        Args:
            entity_set: the entities' set.
            changes: ``(object_id, values, etag)`` of each, at most a batch worth.

        Returns:
            One result per change, in order: its new ETag, or C4C's error.

        Raises:
            C4CError: when the batch request itself fails (the changes may have landed).
        """
        return self.batch(
            [
                BatchWrite(
                    "PATCH",
                    _resource(entity_set, object_id),
                    to_json_values(values),
                    if_match=etag,
                )
                for object_id, values, etag in changes
            ]
        )

    def batch(self, writes: list[BatchWrite]) -> list[BatchResult]:
        """Send writes in one ``$batch`` request, each in its own changeset.

        Args:
            writes: the requests.

        Returns:
            One result per write, in order.

        Raises:
            C4CError: when the batch request itself fails.
        """
        content_type, body = encode_batch(writes)
        response = self.transport.send(
            "POST", self.base_url + "$batch", data=body, headers={"Content-Type": content_type}
        )
        return batch_results(
            response.headers.get("Content-Type", ""), response.content, len(writes)
        )


def _resource(entity_set: str, object_id: str) -> str:
    """The entity's address relative to the service root, its key literal percent-encoded."""
    return f"{entity_set}({quote(odata_quote(object_id), safe=KEY_SAFE)})"
