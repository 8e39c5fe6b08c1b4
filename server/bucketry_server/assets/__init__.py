"""Assets and labels of a project: the status state machine, queries (filters, the category
search grammar, field selection), single and bulk mutations."""
