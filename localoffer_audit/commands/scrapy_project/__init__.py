"""Scrapy commands for `scrapy ...` run from the checkout (scrapy.cfg's COMMANDS_MODULE).

`scrapy crawl <spider>` runs the real crawl (the one `localoffer-audit crawl` runs), not
a bare spider that would store nothing; see crawl.py.
"""
