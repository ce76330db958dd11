"""One contact vocabulary: an email address gets the same answer as a mailto: link (the
link checker), in a contact field (the invalid_email content rule) and as a content
manager's address (`managers import`). Before, info@café.org.uk was an OK link, an
invalid_email finding and refused by the import; jo..bloggs@x.org.uk was accepted by one
and refused by two.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.config import ContentConfig
from localoffer_audit.content.rules import RuleContext, check_service
from localoffer_audit.links.checker import LinkCheckSettings, check_urls
from localoffer_audit.models import Contact, LinkVerdict, ServiceItem
from localoffer_audit.parsing.contact_values import check_email, check_phone, is_valid_uk_phone

# (address, can it be right?). Real shapes from councils' and providers' entries, kept
# apart from the demo's phrase pools.
ADDRESSES = [
    ("enquiries@kirklees-send.org.uk", True),
    ("Jo.Bloggs+send@council.gov.uk", True),
    ("o'neill@stmarys.sch.uk", True),
    # An internationalised domain (RFC 6531 / IDNA): a real address.
    ("info@café.org.uk", True),
    ("info@xn--caf-dma.org.uk", True),
    # Two dots in a row, before or after the @.
    ("jo..bloggs@x.org.uk", False),
    ("jo.bloggs@northtown..org.uk", False),
    # IP literals: no council or provider publishes one; email-validator refuses them.
    ("admin@[192.168.0.1]", False),
    ("admin@192.168.0.1", False),
    # "No email" fillers are well formed: an absent address, not a wrong one.
    ("noemail@noemail.invalid", True),
    ("info@example.com", True),
    # Misspelt webmail domains: mail to them never arrives.
    ("parent.carer@gmail.con", False),
    ("sendteam@hotmial.com", False),
    # Written out, broken or cut.
    ("info at northtown-trust.org.uk", False),
    ("office@school.org.uk.", False),
    ("info@@northtown.org.uk", False),
    ("info@northtown", False),
    (".info@sunnyside.org.uk", False),
    ("info@-sunnyside.org.uk", False),
]


def _service(email: str) -> ServiceItem:
    return ServiceItem(
        directory_id="vocab1",
        url="https://directory.example.gov.uk/kb5/x/directory/service.page?id=vocab1",
        name="Northtown Youth Club",
        organisation="Northtown Youth Trust",
        description="A friendly youth club for young people aged 11 to 18 with additional needs, every Tuesday.",
        contacts=[Contact(name="Sam Jones", phone="0113 496 0999", email=email)],
        website="https://www.northtown-trust.org.uk/",
        postcode="LS1 4AP",
    )


def content_rule_accepts(address: str) -> bool:
    context = RuleContext.from_start_urls(date(2025, 6, 15), ContentConfig(), ["https://directory.example.gov.uk/kb5/x/"])
    return not [f for f in check_service(_service(address), context) if f.rule == "invalid_email"]


def link_check_accepts(address: str) -> bool:
    settings = LinkCheckSettings(check_email_mx=False, soft_404_probe=False, confirm_delay=0)
    [result] = asyncio.run(check_urls([f"mailto:{address}"], settings))
    assert result.verdict in (LinkVerdict.OK, LinkVerdict.INVALID_EMAIL), result
    return result.verdict is LinkVerdict.OK


def managers_import_accepts(address: str, tmp_path: Path) -> bool:
    mapping = tmp_path / "managers.csv"
    mapping.write_text(f"service_id,organisation,manager_name,manager_email\nsvc-1,,Sam Smith,{address}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "audit.db"), "managers", "import", str(mapping)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return result.exit_code == 0


@pytest.mark.parametrize(("address", "right"), ADDRESSES)
def test_one_answer_in_all_three_places(address: str, right: bool, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./localoffer-audit.toml is read
    answers = {
        "vocabulary": check_email(address).usable,
        "mailto: link": link_check_accepts(address),
        "content rule": content_rule_accepts(address),
        "managers import": managers_import_accepts(address, tmp_path),
    }
    assert answers == dict.fromkeys(answers, right)


def test_the_reason_is_in_words_for_a_content_manager() -> None:
    assert check_email("jo..bloggs@x.org.uk").problem == "an email address cannot have two periods in a row"
    assert check_email("parent.carer@gmail.con").problem == "gmail.con looks like a misspelling of a webmail domain"
    assert check_email("noemail@noemail.invalid").placeholder
    assert not check_email("info@café.org.uk").placeholder


def test_cloudflare_hiding_is_not_the_entrys_fault_and_not_an_address() -> None:
    hidden = check_email("[email protected]")
    assert hidden.hidden and hidden.problem is None and not hidden.usable
    assert content_rule_accepts("[email protected]")


@pytest.mark.parametrize(
    ("number", "valid"),
    [("0800 123 4567", True), ("0113 496 0999", True), ("07911 12345", False), ("+1 212 555 0100", False)],
)
def test_one_phone_verdict_for_links_and_fields(number: str, valid: bool) -> None:
    from localoffer_audit.links.contact_links import check_phone as link_check_phone

    assert check_phone(number).valid is valid
    assert link_check_phone(number).valid is valid
    assert is_valid_uk_phone(number) is valid
