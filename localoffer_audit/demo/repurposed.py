"""Provider sites that change between nights: the demo's safeguarding plants.

From its plant night on, a planted provider host answers its ordinary pages with one of:

- ``casino``: the domain was drop-caught and now carries a casino-affiliate page
  (expected: ``link_harmful_content`` on every link to the host);
- ``unrelated_business``: the domain now belongs to an unrelated firm (expected:
  ``link_repurposed`` on the website links of the host's services);
- ``rebrand_trap``: the provider took a new name and says so, same contacts (quiet);
- ``redesign_trap``: a new site, new title and text, the name in the footer (quiet);
- ``benefits_trap``: a page of benefits and money advice that mentions payday loans and
  National Lottery funding, the name kept (quiet).

The wording here is the demo's own, written for it: the auditor's marker table
(links/harmful.py) was built from public pages and never from these.
"""

from __future__ import annotations

import html

from localoffer_audit.demo.world import stable_random

PLANT_KINDS = ("casino", "unrelated_business", "rebrand_trap", "redesign_trap", "benefits_trap")
# The rule each kind should raise on the links it applies to (None: must stay quiet), and
# whether it applies only to the entry's website field.
EXPECTED_RULE: dict[str, tuple[str | None, bool]] = {
    "casino": ("link_harmful_content", False),
    "unrelated_business": ("link_repurposed", True),
    "rebrand_trap": (None, False),
    "redesign_trap": (None, False),
    "benefits_trap": (None, False),
}

_BUSINESSES = [
    ("Harbour View Dental Implants", "Cosmetic dentistry, veneers and whitening",
     "Book a free consultation for dental implants, composite bonding and teeth whitening at our private clinic. "
     "Finance is available on treatments over one thousand pounds, and our hygienists offer evening appointments. "
     "Read patient reviews, view before and after photographs, and meet our principal dentist and the team."),
    ("Pennine Scaffolding Hire", "Scaffolding for builders and homeowners",
     "Tube and fitting scaffolding, temporary roofs and chimney access for domestic and commercial jobs. "
     "Every erection is inspected and tagged, and we carry ten million pounds of public liability cover. "
     "Ask for a quotation today: we visit the site, measure up and confirm a price within two working days."),
]

_CASINO_ROWS = [
    ("Spinfinity", "200% match up to £750 + 150 free spins"),
    ("Royal Reels Club", "No deposit bonus: 50 free spins on sign-up"),
    ("LuckyOtter Casino", "Welcome bonus 100% up to £1,000, 35x wagering"),
]


def _shell(title: str, body: str, lang: str = "en-GB") -> str:
    return (
        f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


def casino_page(host: str) -> str:
    rows = "".join(
        f"<div class=\"casino-card\"><h3>{name}</h3><p>{offer}</p><a class=\"cta\" href=\"/go/{i}\">Play now</a></div>"
        for i, (name, offer) in enumerate(_CASINO_ROWS)
    )
    body = (
        "<p>Looking for online casinos that accept UK players without GamStop? Our experts rank the top casino "
        "sites for fast withdrawals, big welcome bonuses and thousands of slot games.</p>"
        f"{rows}<h2>How we rate casino sites</h2><p>We check the wagering requirements, the free spins on offer, "
        "cashback bonus terms and how quickly winnings are paid. Claim your bonus today.</p>"
        "<footer><p>18+ Gamble responsibly. T&amp;Cs apply.</p></footer>"
    )
    return _shell("Top Casino Sites UK - Best Online Casinos & Free Spins", body)


def business_page(host: str) -> str:
    name, strap, text = stable_random("business", host).choice(_BUSINESSES)
    body = (f"<p>{text}</p><p>{strap}. Call 01632 960 555 or use the contact form and we will reply the same day.</p>"
            f"<footer><p>{name} Ltd, registered in England and Wales.</p></footer>")
    return _shell(f"{name} | {strap}", body)


def rebrand_page(org: str) -> str:
    new = f"{org.split()[0]} Together"
    body = (
        f"<p>We have a new name. From this term {html.escape(org)} is known as {html.escape(new)}. Nothing else "
        "changes: the same staff, the same sessions in the same places, and the same phone number and email "
        "address. Thank you to the families who helped us choose it.</p><p>Our new look comes with an easier "
        "booking page and a termly newsletter you can sign up to below.</p>"
    )
    return _shell(f"{new} - new name, same team", body)


def redesign_page(org: str) -> str:
    body = (
        "<section class=\"hero\"><p>Fun, friendly and inclusive activities for every child, whatever their needs. "
        "Browse the timetable, meet our volunteers and find out how to join a session near you.</p></section>"
        "<section><h2>What's on this half term</h2><p>Messy play on Mondays, sensory music on Wednesdays and a "
        "quiet Saturday morning club for children who find busy places hard.</p></section>"
        f"<footer><p>&copy; 2026 {html.escape(org)}. All rights reserved.</p></footer>"
    )
    return _shell("Welcome - play, learn and grow together", body)


def benefits_page(org: str) -> str:
    body = (
        f"<p>{html.escape(org)} runs a free money and benefits advice drop-in for parents and carers of disabled "
        "children. We help with Disability Living Allowance forms, Carer's Allowance and Universal Credit.</p>"
        "<p>If money is tight before a first Universal Credit payment, ask for an advance rather than a payday "
        "loan: payday lenders charge very high interest. A credit union or Citizens Advice can help too.</p>"
        "<p>This project is funded by The National Lottery Community Fund. Thanks to National Lottery players, "
        "the drop-in and our lottery funding for family days out are free.</p>"
    )
    return _shell("Money and benefits advice for families", body)


def planted_page(kind: str, host: str, org: str) -> str:
    """The page a planted host answers for its ordinary pages from its plant night on."""
    if kind == "casino":
        return casino_page(host)
    if kind == "unrelated_business":
        return business_page(host)
    if kind == "rebrand_trap":
        return rebrand_page(org)
    if kind == "redesign_trap":
        return redesign_page(org)
    if kind == "benefits_trap":
        return benefits_page(org)
    raise ValueError(f"unknown plant kind {kind!r}")
