"""Query helpers: the store's narrow interface, one module per area. Only here and in
``db.py`` is there SQL."""
