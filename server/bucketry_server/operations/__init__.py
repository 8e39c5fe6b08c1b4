"""Storage operations that outlive a request: the engine (rows, leases, heartbeats, chunks) and
the kinds it runs (copy, import from URL, export, recursive delete, connection sync)."""
