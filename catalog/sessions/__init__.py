"""Sessions: persisted clustering results, re-clustering, and the artist's corrections."""
