"""The Gmail add-on (Google Workspace add-on, HTTP runtime): who calls (``verify``), what it
shows (``screens``, built from the typed widgets of ``cards``), its deployment (``deployment``).
The endpoints are in ``backend.web.gmail_addon``."""
