"""The Exchange provider's tests: the fixtures of :mod:`tests.fixtures.ews`, its emulator and
mailbox under the names these tests use (the world's ``ews`` and ``mailbox`` elsewhere)."""

from tests.support.ews_names import _quiet_http_log, ews, mailbox

__all__ = ["_quiet_http_log", "ews", "mailbox"]
