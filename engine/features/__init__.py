"""Prompt and image features for the session engine: lexical tokens, embeddings, visual descriptors."""
