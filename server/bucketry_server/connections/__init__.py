"""Connections: a bucket (managed or imported) connected to a project, and the streaming diff and
incremental sync that mirror its files as assets (``service`` rows and access, ``selection``
folders and globs, ``diff`` the sorted merge, ``sync`` applying it)."""
