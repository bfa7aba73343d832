"""Request and response bodies of the catalog API: each described once, here; the OpenAPI
document (and the back office's TypeScript types generated from it) come from these models.
Response models are built from the domain's objects by one ``from_domain`` classmethod each.

``public``: the wizard's answers; ``admin``: edits, the draft and the versions; ``fields``:
the field types both share (texts PostgreSQL can store, codes, addresses)."""
