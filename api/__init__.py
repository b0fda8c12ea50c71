"""GraphQL API, auth and CLI: the top layer."""
