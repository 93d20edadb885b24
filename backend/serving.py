"""What gunicorn needs of the product: its log lines through the product's logging.

gunicorn writes its error and access lines with handlers of its own. :class:`ProductLogger`
hands them to the root logger instead, which the app configured when it was imported
(``backend.logs``): redacted as every record is, as text or JSON lines like everything else.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from backend.logs import configure_logging
from backend.settings import load_settings


class ProductLogger(Logger):
    """gunicorn's logger, its records handed to the product's handler (redacted, text or JSON)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
