"""Session segmentation and per-session inference (phases, labels, lineage) over the record stream."""
