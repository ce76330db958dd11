"""Which platform a directory runs on, told from the answer to its start URL.

``platform = "auto"`` reads the start page once and decides, saying why:

- an ORUK API: JSON with an ORUK envelope (``content``/``totalElements`` is v1,
  ``contents``/``total_items`` v3) or the v3 ``/`` answer (``{"version": "HSDS-UK-3.0"}``);
- FSD (Open Objects / Idox): ``/kb5/`` in the path, or a page linking to
  ``service.page?id=`` records and ``results.page`` listings;
- anything else that lists records: ``generic`` with selectors inferred from the page
  (``infer.py``), naming LocalGov Drupal when its directory markup is there.

When none of these fit it says it cannot tell, and why, rather than guessing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from localoffer_audit.crawl.infer import InferredListing, infer_listing

_LOCALGOV = re.compile(r"localgov[-_]director|node--type-localgov|lgd-page-title-block|localgov_directories", re.I)
_FSD_RECORD = re.compile(r"""href=["'][^"']*service\.page\?[^"']*\bid=""", re.I)
_FSD_LISTING = re.compile(r"""href=["'][^"']*results\.page\?""", re.I)


@dataclass(slots=True)
class Detection:
    platform: str | None
    reason: str
    listing: InferredListing | None = None
    notes: list[str] = field(default_factory=list)


def detect_platform(url: str, content_type: str, text: str) -> Detection:
    if "json" in content_type.lower() or text.lstrip().startswith(("{", "[")):
        return _detect_json(text)
    path = urlsplit(url).path
    if "/kb5/" in path:
        return Detection("fsd", "the start URL's path has /kb5/ (Open Objects / Idox Family Services Directory)")
    if _FSD_RECORD.search(text) and _FSD_LISTING.search(text):
        return Detection("fsd", "the start page links to service.page?id= records and results.page listings (FSD)")
    listing = infer_listing(text, url)
    if listing is None:
        return Detection(None, "the start page is neither an ORUK API nor an FSD results page, and no repeated record links were found on it")
    kind = "a LocalGov Drupal directory" if _LOCALGOV.search(text) else "an HTML directory"
    return Detection("generic", f"{kind}: {'; '.join(listing.reasons)}", listing)


def _detect_json(text: str) -> Detection:
    try:
        data = json.loads(text)
    except ValueError:
        return Detection(None, "the start URL answered something that is not valid JSON nor a listing page")
    if isinstance(data, dict):
        if "contents" in data or "total_items" in data:
            return Detection("oruk", "the start URL answers an ORUK v3 page of services (contents, total_items)")
        if "content" in data or "totalElements" in data:
            return Detection("oruk", "the start URL answers an ORUK v1 page of services (content, totalElements)")
        version = str(data.get("version") or "")
        if "hsds" in version.lower() or "openreferral" in json.dumps(data)[:2000].lower():
            return Detection("oruk", f"the start URL answers an ORUK API description (version {version or 'not given'})")
    return Detection(None, "the start URL answers JSON that is not an Open Referral UK API")
