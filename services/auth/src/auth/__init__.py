"""Auth service: identities of members and agents; issues the access tokens every service verifies."""
