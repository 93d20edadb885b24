"""The demo: Contoso's data and the ``flask demo`` runner."""
