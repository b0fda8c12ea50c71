"""Pure inference: metadata readers, sessions, phases, labels, lineage. No I/O beyond reading files."""
