"""Assets: the stored generations."""
