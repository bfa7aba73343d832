"""Shared infrastructure of the services. Domain code never goes here."""
