"""Projects: creation, visibility (owner and org members), updates, deletion."""
