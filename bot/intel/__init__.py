"""Hits for case tools: a MISP event, a STIX 2.1 bundle, an RSS/Atom feed per rule."""
