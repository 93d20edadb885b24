"""Creating many entities at once without duplicates, even when a ``$batch`` answer is lost.

Each record goes in its own changeset (one rejected record fails only itself). When the answer
to a batch may have been lost after sending, the records' references are looked up by
``ExternalID`` and only the ones C4C does not have are sent again. A batch refused as a whole
with a server error (500, 502, 504) is sent again only when C4C says when (``Retry-After``), the
same way; otherwise the error goes to the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.crm.batch import BatchResult, BatchWrite
from backend.crm.errors import C4CConnectionError, C4CHTTPError
from backend.crm.values import to_json_values

if TYPE_CHECKING:
    from backend.crm.c4c import C4CClient

LOOKUP_SIZE = 25
"""References per look-up read (keeps the ``$filter`` URL short)."""


def create_chunk(
    client: C4CClient, entity_set: str, records: list[tuple[str, dict[str, Any]]]
) -> list[BatchResult]:
    """Create one batch worth of records, retrying a lost batch without duplicates.

    Args:
        client: the C4C client.
        entity_set: the set to create in.
        records: ``(external_id, values)`` pairs, at most one batch worth.

    Returns:
        One result per record, in order.

    Raises:
        C4CError: when the batch still fails after the client's retry policy.
    """
    done: dict[str, BatchResult] = {}
    for attempt in range(client.retry.attempts):
        pending = [(ref, values) for ref, values in records if ref not in done]
        if not pending:
            break
        writes = [
            BatchWrite(
                "POST",
                entity_set,
                {**to_json_values(values), "ExternalID": ref},
            )
            for ref, values in pending
        ]
        try:
            answers = client.batch(writes)
        except C4CConnectionError as error:
            if attempt + 1 >= client.retry.attempts:
                raise
            if error.sent:
                done.update(_already_created(client, entity_set, [ref for ref, _ in pending]))
            client.transport.pause(client.retry.delay(attempt, None))
            continue
        except C4CHTTPError as error:
            asked = error.status >= 500 and error.retry_after is not None
            if not asked or attempt + 1 >= client.retry.attempts:
                raise
            done.update(_already_created(client, entity_set, [ref for ref, _ in pending]))
            client.transport.pause(client.retry.delay(attempt, error.retry_after))
            continue
        for (ref, _), answer in zip(pending, answers, strict=True):
            done[ref] = BatchResult(ref, answer.entity, answer.error)
        break
    return [done[ref] for ref, _ in records]


def _already_created(client: C4CClient, entity_set: str, refs: list[str]) -> dict[str, BatchResult]:
    lookups = client.read_matching(entity_set, "ExternalID", refs, chunk=LOOKUP_SIZE)
    return {
        entity["ExternalID"]: BatchResult(entity["ExternalID"], entity)
        for _group, found in lookups
        for entity in found
    }
