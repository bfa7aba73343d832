"""Catalog service: themes, subjects, motifs and online services, versioned and published as events."""
