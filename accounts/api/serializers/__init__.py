"""Serializers of the accounts API: request bodies (strictly typed) and Coder-shaped responses."""
