"""Authentication and secrets: sign-in, add-in tokens, token encryption at rest."""
