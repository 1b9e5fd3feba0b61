"""The one path every message takes: normalize, match, store, route."""
