"""Serializers of the templates API: request bodies (strictly typed, as Go's decoder is)
and Coder-shaped response JSON built by plain functions over prefetched rows."""
