"""Stage 2, links: check every outbound link politely and store a verdict with its evidence."""
