"""Pure: a service title split into its service part and the qualifier after it.

Directories often list every entry under the council as its organisation and put the
real provider, a venue or an area in the title instead: "Specialist Nursery Places
(Larkspur Family Trust)", "Sensory Support Team - Riverside Outreach", "Stay and Play
(Eastwick)". One split serves both stages that need it: near-duplicates set the
qualifier aside to compare the service parts (content/duplicates.py), and the
safeguarding check also tries the title's provider when it asks whether a linked page
still names the provider (findings/safeguarding.py, links/fingerprint.py).
"""

from __future__ import annotations

import re
from typing import NamedTuple

# A trailing qualifier: "(Eastwick)", "- Eastwick sessions", ": Eastwick", "| Eastwick".
# A spaced separator only, so "Drop-in" or "11-16" in a title never splits it.
_QUALIFIER = re.compile(r"\s*(?:\([^()]*\)|\s[-–—:|]\s.*)\s*$")
_SEPARATOR = re.compile(r"^\s*[-–—:|]\s*|^\s*\(|\)\s*$")

# Words that say a qualifier names an organisation rather than a venue:
# "Specialist Nursery Places (Larkspur Family Trust)".
ORGANISATION_WORDS = frozenset(
    "trust cic ltd limited charity foundation council nhs partnership association society federation "
    "alliance cooperative llp plc incorporated inc".split()
)


class TitleParts(NamedTuple):
    service: str
    # The qualifiers set aside, first to last, without their brackets or separator:
    # "Short Breaks (Riverside) - Saturdays" -> ("Riverside", "Saturdays").
    qualifiers: tuple[str, ...]


def split_title(name: str | None) -> TitleParts:
    """The title's service part and up to two trailing qualifiers. A title that is all
    qualifier ("(Closed)") is left whole: there is no service part to set it against."""
    text = name or ""
    found: list[str] = []
    for _ in range(2):
        match = _QUALIFIER.search(text)
        if not match or not text[: match.start()].strip():
            break
        found.append(match.group(0))
        text = text[: match.start()]
    qualifiers = tuple(_SEPARATOR.sub("", part).strip() for part in reversed(found))
    return TitleParts(text.strip(), tuple(q for q in qualifiers if q))
