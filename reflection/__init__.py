"""The Museum Curator: AI reflections on sessions. Filled by the reflections issue."""
