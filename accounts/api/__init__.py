"""The accounts part of /api/v2: users, auth, tokens, organizations, members, groups, roles, audit."""
