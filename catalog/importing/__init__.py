"""Importing image files, folders and JSON-lines record files into a user's catalog."""
