"""Reference data of the catalog: ``catalog.yaml``, loaded by ``python -m catalog load-reference``."""
