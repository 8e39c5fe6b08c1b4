"""Imported buckets: the remote backend over a provider's :class:`.client.ObjectClient`."""
