"""Accounts: users, organizations, tokens and credentials, and who may do what (principals,
bucket access rules). Callable without a request."""
