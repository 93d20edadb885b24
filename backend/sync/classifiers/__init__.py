"""Pure functions, one per backend, that map a raw error to the failure taxonomy."""
