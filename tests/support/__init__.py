"""Helpers the tests share: small loopback sites, database builders, the browser, PostgreSQL.

Test modules import from here, never from one another, so each test file can be read,
moved or deleted on its own.
"""
