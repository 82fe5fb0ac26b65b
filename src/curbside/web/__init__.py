"""The server-rendered web pages and their JSON twins (`curbside.edge` holds what they share
with `curbside.api`, `curbside.app` serves both)."""
