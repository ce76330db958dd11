"""Wording detectors: closure notices, COVID-era notices, placeholders, past events.

Each detector reads one piece of text and returns what it found (the sentence or phrase
that triggered it), or nothing. They work sentence by sentence, because the wording
that makes a notice ("suspended", "until further notice") has to sit in the same
sentence as what it is about ("coronavirus"). Tuned on ordinary British council and
charity wording, with the false alarms that wording invites kept out:
"COVID vaccination clinic" is a service, not a notice; "closed on bank holidays" is
opening hours, not a closure; "founded in 2019" is history, not an event.

Pure functions; the date of today is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, timedelta

from localoffer_audit.parsing.dates import MONTH_PATTERN, DateMention, find_dates

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+|\s*•\s*|\s+-\s+(?=[A-Z])")


@lru_cache(maxsize=2048)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _SENTENCE_END.split(text) if part and part.strip())


def sentences(text: str) -> list[str]:
    # Cached: several rules read the same description, sentence by sentence.
    return list(_sentences(text or ""))


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# --- closure -------------------------------------------------------------------------

_SERVICE_NOUN = (
    r"(?:service|club|group|project|centre|center|scheme|provision|nursery|clinic|session|sessions|"
    r"charity|organisation|organization|business|programme|playgroup|pre-school|preschool|"
    r"provider|practice|surgery|setting|café|cafe|class|classes|team|initiative|youth club|support)"
)

# When something closed for good: "in 2022", "in March 2022", "at the end of July 2021",
# "last year". Not "on 3 March 2022": a closure on one day is as often snow or staff
# illness as the end of a service.
_CLOSED_WHEN = (
    rf"(?:(?:in|at\s+the\s+end\s+of|during)\s+(?:{MONTH_PATTERN}\.?\s+)?(?:19|20)\d{{2}}\b"
    r"|(?:last|earlier\s+this)\s+(?:year|month|summer|spring|autumn|winter)\b)"
)

_CLOSURE = _any([
    # "has now closed", "has sadly closed permanently", "have closed down"
    r"\b(?:has|have)\s+(?:now\s+|sadly\s+|unfortunately\s+|permanently\s+|recently\s+)*"
    r"(?:closed|shut|ceased|stopped)(?:\s+down)?\b(?![\s,]+(?:its|their|the|our|for|to|on|at|during|over|until|between|from|early|temporarily))",
    r"\b(?:is|are)\s+(?:now\s+)?(?:permanently\s+)?closed\s*(?:down\s*)?(?:[.!]|$)(?<!temporarily closed)",
    r"\b(?:now|permanently)\s+closed\b(?![\s,]+(?:for|on|at|during|over|until|to|between|from|temporarily))",
    r"\b(?:closed|shut)\s+(?:permanently|for\s+good)\b|\bclosed\s+down\b",
    r"\b(?:has|have|had)\s+been\s+(?:permanently\s+)?(?:closed|discontinued|decommissioned|withdrawn|disbanded|dissolved|wound\s+up|shut\s+down)\b"
    r"(?![\s,]+(?:for|on|at|during|over|until|to|between|temporarily))",
    # "The service was discontinued in 2022", "the charity was wound up"
    r"\b(?:was|were)\s+(?:permanently\s+|formally\s+|officially\s+)?(?:discontinued|decommissioned|disbanded|dissolved|wound\s+up|shut\s+down)\b",
    rf"\b(?:was|were)\s+(?:permanently\s+)?closed\s+{_CLOSED_WHEN}",
    # "The service closed in 2022.", "Sadly the group shut in March 2021", "the club folded last year"
    rf"\b(?:this|the|our|we)\s+(?:[\w'’-]+\s+){{0,2}}?{_SERVICE_NOUN}\s+(?:sadly\s+|finally\s+|permanently\s+|officially\s+)?"
    rf"(?:closed|shut|ended|finished|ceased|stopped|folded)(?:\s+down)?\s+{_CLOSED_WHEN}",
    rf"\bwe\s+(?:sadly\s+|finally\s+|permanently\s+)?(?:closed|shut)(?:\s+down)?\s+{_CLOSED_WHEN}",
    # "We closed our doors in 2021", "the nursery has closed its doors for good"
    r"\bclosed\s+(?:our|its|their)\s+doors\b(?![\s,]+(?:for|on|at|during|over|until|to|between|from|temporarily|early|each|every)\b)",
    r"\bclos(?:ed|ing)\s+(?:our|its|their)\s+doors\s+(?:permanently|for\s+good|for\s+the\s+(?:last|final)\s+time)\b",
    r"\bceased\s+(?:trading|operating|operation|operations|to\s+(?:operate|run|exist|trade))\b",
    r"\b(?:went|has\s+gone|have\s+gone|entered)\s+into\s+(?:liquidation|administration)\b",
    r"\bno\s+longer\s+(?:running|operating|operational|operates|runs|exists|in\s+operation|trading|open|active|"
    r"delivered|being\s+delivered|being\s+run|offered|provided|available|commissioned)\b",
    rf"\bno\s+longer\s+(?:run|runs|offer|offers|provide|provides|deliver|delivers)\s+(?:this|the|our|these|any)\s+{_SERVICE_NOUN}",
    # "The group no longer meets." (but "no longer meets on Mondays" is a changed day)
    r"\bno\s+longer\s+meets?\b(?=\s*(?:[.!;]|$|[-–—]\s|and\b|,))",
    r"\bnot\s+(?:running|operating|open|meeting)\s+any\s?more\b(?=\s*(?:[.!;,]|$))",
    rf"\b(?:this|the|our)\s+{_SERVICE_NOUN}\s+(?:has\s+)?(?:now\s+)?(?:ended|finished|stopped|folded|wound\s+up)\b(?!\s+(?:for|at|on))",
    r"\b(?:will\s+be|is\s+being|has\s+been)\s+(?:permanently\s+)?closing\s+down\b",
    r"\bclosing\s+down\b",
    r"\bwill\s+(?:be\s+)?clos(?:e|ing)\s+(?:permanently|for\s+good|down)\b",
    # Headline style, as the whole sentence or before a dash: "Service discontinued - please
    # contact the Family Hub", "SERVICE CLOSED.", "Group no longer running".
    r"^\s*(?:this\s+|the\s+)?(?:service|group|club|project|scheme|provision|centre|charity|organisation|"
    r"playgroup|nursery|session|sessions|class|classes)\s+(?:is\s+|has\s+)?(?:now\s+|permanently\s+)?"
    r"(?:closed(?:\s+down)?|discontinued|ceased|withdrawn|decommissioned|ended|no\s+longer\s+(?:available|running|operating|active|in\s+operation))"
    r"\s*(?=$|[.!;:(]|[-–—]|,)",
])

# "No longer available" is only a closure when it is the service that is unavailable.
_NEEDS_SERVICE_SUBJECT = re.compile(r"no\s+longer\s+(?:available|offered|provided|open|active)", re.IGNORECASE)
_SERVICE_SUBJECT = re.compile(rf"\b(?:this|the|our|we|that)\s+(?:\w+\s+){{0,2}}?{_SERVICE_NOUN}\b|\bwe\b", re.IGNORECASE)

# Temporary closures, opening hours, closed groups and referral routes are not closures.
_NOT_CLOSURE = _any([
    r"\btemporar(?:y|ily)\b",
    r"\bclosed\s+(?:on|at(?!\s+the\s+end\s+of\b)|during(?!\s+(?:19|20)\d{2})|over|for|between|from|every|each)\b",
    r"\bclosed\s+(?:group|facebook|caption|captions|question|referral|door|session)s?\b",
    r"\b(?:if|when|once|should)\s+(?:the|this|a|your|our)?\s*\w*\s*(?:service|club|group|setting)?\s*(?:closes|has closed|is closed)",
    r"\bno\s+longer\s+(?:need|needs|needed|require|requires|eligible|able|attend|attends|wish|wishes|want|wants|living|lives|in\s+education|at\s+school)\b",
    r"(?<!not\s)(?<!never\s)(?<!n't\s)\b(?:re-?open(?:s|ed|ing)?|will\s+return|resume[sd]?|back\s+(?:on|in|from))\b",
    r"\bbank\s+holidays?\b|\bchristmas\b|\bhalf[\s-]?term\b|\bschool\s+holidays?\b",
    # Something else closed, or the work carries on: "our previous service closed in 2019",
    # "no longer commissioned by the council but continues as a charity".
    rf"\b(?:previous|former|old|original)\s+(?:[\w'’-]+\s+)?{_SERVICE_NOUN}\b",
    r"\bcontinu(?:es|e\s+to|ing)\b|\bcarr(?:y|ies)\s+on\b|\bstill\s+(?:runs?|running|meets?|open|available)\b",
    r"\brestart(?:s|ed|ing)?\b|\b(?:back\s+)?up\s+and\s+running\b|\breturns?\s+(?:in|on|from|after)\b",
    # A building closed for works: the service carries on (or comes back).
    r"\brefurbish\w*|\brepairs?\b|\bbuilding\s+works?\b|\bmaintenance\b|\bimprovement\s+works?\b",
    # One session moved or replaced, not the service closed.
    r"\binstead\b|\bmoved\s+to\b|\breplac(?:ed|es|ing)\b|\bnew\s+(?:venue|location|address|day|time|service|group|club)\b"
    r"|\bnow\s+(?:on|at|meets?|runs?|held|based)\b",
    # A weekday (not a date's: "Friday 3 March 2023") names one session or the opening hours:
    # "Closed Mondays", "the Tuesday group has closed".
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b(?!\s+\d)",
])
# A closure during COVID-19 was mostly a pause: "closed due to coronavirus" is reported as a
# COVID-era notice, and as a closure only when it says the closure is for good.
_FOR_GOOD = _any([
    r"\bpermanent(?:ly)?\b", r"\bfor\s+good\b", r"\bfor\s+the\s+(?:last|final)\s+time\b", r"\bclosed\s+down\b",
    r"\b(?:will|would)\s+not\s+(?:be\s+)?re-?open", r"\bwon't\s+(?:be\s+)?re-?open", r"\bnot\s+re-?opening\b",
    r"\bceased\s+trading\b", r"\bwound\s+up\b", r"\bdissolved\b", r"\bliquidation\b",
])

# In a title: "CLOSED", "Service discontinued", "No longer running", "Ceased trading".
_CLOSED_WORD = (
    r"(?:(?:service\s+|now\s+|permanently\s+)?(?:closed(?:\s+down)?|discontinued|ceased(?:\s+trading)?)"
    r"|(?:service\s+)?no\s+longer\s+(?:running|operating|available))"
)
_CLOSED_NAME = re.compile(
    rf"^\s*[\[(*]?\s*{_CLOSED_WORD}\s*[\])*]?\s*(?:[-–—:|!]|$)"
    rf"|[\[(]\s*{_CLOSED_WORD}\s*[\])]"
    rf"|[-–—:|]\s*{_CLOSED_WORD}\s*$",
    re.IGNORECASE,
)


# What closed may be a route into the service, not the service: "Referrals have now closed",
# "the waiting list has now closed", "closed to new referrals".
_CLOSED_ROUTE_BEFORE = re.compile(
    r"\b(?:referrals?|(?:waiting|mailing|booking)\s+lists?|lists?|applications?|admissions?|bookings?|registrations?|enrolments?|"
    r"places|nominations|consultation|survey|vacanc(?:y|ies)|recruitment|new\s+(?:members|families|children|starters|clients)|"
    # A channel closed, not the service: "our old website has closed".
    r"web\s?site|web\s?page|page|account|forum|inbox|mailbox|email\s+address)"
    r"\b(?:\s+[\w']+){0,4}\s*$",
    re.IGNORECASE,
)
_CLOSED_ROUTE_AFTER = re.compile(
    r"^\s*(?:(?:to|for)|(?:taking|accepting|receiving|offering))\s+(?:new\s+|any\s+|further\s+|more\s+)?"
    r"(?:referrals?|applications?|admissions?|bookings?|members|families|children|starters|clients|enquiries|places)\b",
    re.IGNORECASE,
)


def closure_sentence(text: str) -> str | None:
    """The sentence saying the service has closed for good, if there is one."""
    for sentence in sentences(text):
        match = _CLOSURE.search(sentence)
        if not match:
            continue
        if _NOT_CLOSURE.search(sentence):
            continue
        if (_COVID_TERM.search(sentence) or _COVID_ERA.search(sentence)) and not _FOR_GOOD.search(sentence):
            continue
        if _CLOSED_ROUTE_BEFORE.search(sentence[: match.start()]) or _CLOSED_ROUTE_AFTER.search(sentence[match.end():]):
            continue
        if _NEEDS_SERVICE_SUBJECT.search(match.group(0)) and not _SERVICE_SUBJECT.search(sentence):
            continue
        return sentence
    return None


def name_says_closed(name: str) -> bool:
    """Entry titles such as "CLOSED - Sunshine Club" or "Sunshine Club (closed)"."""
    return bool(_CLOSED_NAME.search(name or ""))


# --- COVID-era notices ---------------------------------------------------------------

_COVID_TERM = re.compile(
    r"\b(?:covid(?:[\s-]?19)?|coronavirus|corona\s+virus|pandemic|sars-cov-2)\b", re.IGNORECASE
)
# Words that by themselves date a notice to 2020-2022.
_COVID_ERA = _any([
    r"\block\s?downs?\b",
    r"\bsocial(?:ly)?\s+distanc(?:ing|ed|e)\b",
    r"\bself[\s-]isolat(?:e|ing|ion)\b",
    r"\bcovid[\s-]?secure\b",
    r"\bcovid[\s-]?19\s+(?:restrictions|guidance|guidelines|measures|rules|outbreak|crisis|situation)\b",
    r"\btier\s+[1-4]\s+restrictions\b",
    r"\brule\s+of\s+six\b",
    # The UK's COVID-19 rules in the words of the day: "face coverings must be worn",
    # "please keep 2 metres apart", "NHS Test and Trace", "support bubbles", "shielding".
    r"\bface\s+coverings?\b",
    r"\b(?:face\s+)?masks?\s+(?:must|should|are\s+to|will\s+need\s+to)\s+be\s+worn\b",
    r"\b(?:2|two)\s*(?:m|metres?|meters?)\s+(?:apart|distance|distancing|rule)\b",
    r"\b(?:test|track)\s+and\s+trace\b",
    r"\bsupport\s+bubbles?\b",
    r"\bfurlough(?:ed|ing)?\b",
    r"\b(?:clinically\s+extremely|extremely\s+clinically)\s+vulnerable\b",
])
# What makes a covid mention a notice about the service rather than its subject.
_NOTICE = _any([
    r"\bsuspend(?:ed|ing)?\b", r"\bcancel+(?:ed|ing|ations?)?\b", r"\bpostpon(?:ed|ing|e)\b",
    r"\bpaused?\b", r"\bon\s+hold\b", r"\bclosed\b", r"\bclosure\b", r"\bnot\s+(?:currently\s+)?(?:running|operating|meeting|open)\b",
    r"\buntil\s+further\s+notice\b", r"\bdue\s+to\b", r"\bbecause\s+of\b", r"\bowing\s+to\b",
    r"\bas\s+a\s+result\s+of\b", r"\bin\s+(?:light|response)\s+(?:of|to)\b", r"\bduring\s+the\b",
    r"\brestrictions?\b", r"\bguidance\b", r"\bguidelines\b", r"\bre-?open(?:ed|ing|s)?\b",
    r"\bcurrently\b", r"\bat\s+(?:this|the\s+present|present)\s+time\b", r"\bfor\s+the\s+time\s+being\b",
    r"\bremote(?:ly)?\b", r"\bvirtual(?:ly)?\b", r"\bonline\s+only\b", r"\bby\s+phone\s+only\b",
    r"\bface\s+(?:masks?|coverings?)\b", r"\bmeasures\b", r"\boutbreak\b", r"\bsituation\b",
    # "If you have symptoms of coronavirus, please do not attend."
    r"\bsymptoms?\b", r"\bshielding\b", r"\b(?:do\s+not|don't)\s+(?:attend|come|visit)\b", r"\bhouseholds?\b",
])
# Services *about* the virus: a vaccination clinic, a long-COVID service or support for
# families bereaved in the pandemic is not a notice.
_COVID_SERVICE = re.compile(
    r"\b(?:vaccin\w*|booster|jabs?|long[\s-]covid|immunis\w*|bereave\w*|grie(?:f|ving)|lost\s+(?:someone|a\s+loved\s+one))\b",
    re.IGNORECASE,
)


def covid_sentence(text: str) -> str | None:
    """The sentence that is a COVID-era notice, if there is one."""
    for sentence in sentences(text):
        if _COVID_ERA.search(sentence):
            return sentence
        if not _COVID_TERM.search(sentence):
            continue
        notice = _NOTICE.search(sentence)
        if not notice:
            continue
        if _COVID_SERVICE.search(sentence) and not re.search(
            r"suspend|cancel|postpon|paused|on hold|closed|until further notice", sentence, re.IGNORECASE
        ):
            continue
        return sentence
    return None


# --- what a description says beyond pointing elsewhere -----------------------------

# Sentences that only send the reader elsewhere ("More details on our website.",
# "Click here.") describe nothing: they do not count towards a description's length.
_POINTER_SENTENCE = re.compile(
    r"^(?:(?:for\s+)?(?:more|further)\s+(?:details|information|info)\b.*|find\s+out\s+more\b.*|click\s+here\b.*|"
    r"(?:please\s+)?(?:visit|see|go\s+to|check)\s+(?:our|the|their)\s+(?:website|web\s?site|page|facebook)\b.*|"
    r"(?:read|see)\s+more\b.*|here)[.!]?$",
    re.IGNORECASE,
)


def substantive_text(text: str) -> str:
    """``text`` without sentences that only point elsewhere."""
    kept = [s for s in sentences(text) if not _POINTER_SENTENCE.match(s.strip())]
    return " ".join(kept)


# --- placeholders --------------------------------------------------------------------

_PLACEHOLDER = _any([
    r"\blorem\s+ipsum\b", r"\bdolor\s+sit\s+amet\b",
    r"\binsert\s+(?:[\w-]+\s+){0,3}here\b", r"\[\s*insert\b[^\]]*\]", r"<\s*insert\b[^>]*>", r"\{\s*insert\b",
    r"\b(?:add|enter|type|put)\s+(?:your\s+)?(?:text|description|details|content)\s+here\b",
    # A template's instruction left in, starting a sentence: "Type your description
    # here.", "Add details of session times here" (the full stop before is not quoted).
    r"(?:^|(?<=[.!?])\s+)(?:insert|enter|type|write|add)\s+(?:[\w'’-]+\s+){0,8}?here\b",
    r"\bplaceholder\s+text\b", r"\btext\s+to\s+follow\b", r"\bdescription\s+to\s+follow\b",
    r"(?<![\w-])TB[CA](?![\w-])", r"\bto\s+be\s+(?:confirmed|advised|announced|added|completed)\b",
    r"(?<![\w.@])(?:xxx+|XXX+)(?![\w])",
])
# A whole field that is a programming value or a filler: in effect empty.
_FILLER = re.compile(
    r"^\s*(?:undefined|null|none|nil|nan|n/?a|tbc|tba|tbd|test|todo|\[object object\]|-+|\.+|\?+|x+|0)\s*$",
    re.IGNORECASE,
)
# A short field that is an instruction to the editor ("Insert address", "[Insert contact
# name]", "Insert opening times") is a placeholder, whatever the field.
_INSTRUCTION_FIELD = re.compile(r"^\s*[\[<{(]?\s*insert\s+\w[^.!?]{0,80}$", re.IGNORECASE)


def placeholder_phrase(text: str, *, whole_field_values: bool = True) -> str | None:
    """The placeholder found in ``text`` ("TBC", "lorem ipsum", "undefined"...), if any.

    ``whole_field_values``: also a field whose whole value is filler ("undefined", "N/A",
    "-"); off for labelled prose, where "None" or "0" can be a real answer.
    """
    if not text:
        return None
    if (whole_field_values and _FILLER.match(text)) or _INSTRUCTION_FIELD.match(text):
        return text.strip()
    match = _PLACEHOLDER.search(text)
    return match.group(0).strip() if match else None


def is_placeholder_value(text: str | None) -> bool:
    """True for a field whose whole value is filler ("undefined", "N/A", "-", "TBC"): the
    field is in effect empty. (Instruction text such as "[Insert description here]" is a
    placeholder too, but reported as such rather than as an empty field.)"""
    return bool(text) and bool(_FILLER.match(text or ""))


# --- past events ---------------------------------------------------------------------

_SEASON_END: dict[str, tuple[int, int, int]] = {
    # season -> (month, day, years after the stated year) of the latest day it can mean
    "easter": (4, 30, 0),
    "spring": (5, 31, 0),
    "may": (6, 15, 0),
    "whitsun": (6, 15, 0),
    "summer": (9, 15, 0),
    "autumn": (11, 30, 0),
    "october": (11, 10, 0),
    "february": (3, 10, 0),
    "christmas": (1, 10, 1),
    "xmas": (1, 10, 1),
    "winter": (2, 28, 1),
    "half term": (12, 31, 0),
}

_SEASON_YEAR = re.compile(
    r"\b(?P<season>easter|spring|summer|autumn|winter|christmas|xmas|whitsun|"
    r"(?:february|feb|may|october|oct)\s+half[\s-]?term|half[\s-]?term)"
    r"(?:\s+(?:holidays?|break|term|half[\s-]?term|hols))?\s+(?P<year>20\d{2})\b"
    r"|\b(?P<year2>20\d{2})\s+(?P<season2>easter|spring|summer|autumn|winter|christmas|whitsun|half[\s-]?term)\b",
    re.IGNORECASE,
)

_EVENT_NOUN = (
    r"(?:holiday\s+clubs?|holiday\s+scheme|play\s?schemes?|summer\s+schemes?|summer\s+camps?|camps?|"
    r"programmes?|timetables?|term\s+dates|events?|festivals?|activities|activity\s+programme|"
    r"sessions|courses?|workshops?|fun\s+days?|open\s+days?|trips?)"
)
_EVENT_YEAR = re.compile(
    rf"\b{_EVENT_NOUN}\s+(?:for\s+|in\s+)?(?P<year>20\d{{2}})(?:\s*[/-]\s*(?P<next>\d{{2}}|20\d{{2}}))?\b"
    rf"|\b(?P<year2>20\d{{2}})(?:\s*[/-]\s*(?P<next2>\d{{2}}|20\d{{2}}))?\s+{_EVENT_NOUN}",
    re.IGNORECASE,
)

# What makes a dated sentence about something that happens on that date.
_EVENT_CONTEXT = _any([
    r"\bsessions?\b", r"\bclubs?\b", r"\bevents?\b", r"\bworkshops?\b", r"\bcourses?\b", r"\bclass(?:es)?\b",
    r"\bterm\b", r"\bholidays?\b", r"\btrips?\b", r"\bmeetings?\b", r"\bcoffee\s+mornings?\b", r"\bdrop[\s-]?ins?\b",
    r"\bopen\s+days?\b", r"\bfun\s+days?\b", r"\bbook(?:ing|ings|ed)?\b", r"\bplaces\b", r"\bplay\s?schemes?\b",
    r"\bschemes?\b", r"\bcamps?\b", r"\bactivit(?:y|ies)\b", r"\bprogramme\b", r"\bfestivals?\b", r"\bpart(?:y|ies)\b",
    r"\btraining\b", r"\bwebinars?\b", r"\bconsultation\b", r"\bconference\b", r"\bfairs?\b", r"\bcelebrat\w+\b",
    r"\bwill\s+be\s+held\b", r"\btak(?:es|ing)\s+place\b", r"\bwill\s+(?:run|take|start|begin|restart|resume|re-?open)\b",
    r"\bruns?\b", r"\brunning\b", r"\buntil\b", r"\btill\b", r"\bdeadline\b", r"\bclosing\s+date\b",
    r"\bapply\s+by\b", r"\bregister\s+by\b", r"\bstarts?\b", r"\bstarting\b", r"\bcommencing\b", r"\bw/c\b",
    r"\bweek\s+commencing\b", r"\bjoin\s+us\b", r"\bcoming\s+up\b", r"\bnext\b", r"\bupcoming\b",
])

# What makes a dated sentence history or a document reference instead.
_HISTORY_CONTEXT = _any([
    r"\bfounded\b", r"\bestablished\b", r"\bset\s+up\b", r"\bsince\b", r"\bregistered\b", r"\bformed\b",
    r"\bincorporated\b", r"\bbegan\b", r"\blaunched\b", r"\bopened\s+in\b", r"\bstarted\s+in\b", r"\bcreated\b",
    r"\bawards?\b", r"\bawarded\b", r"\bwon\b", r"\binspect(?:ed|ion)\b", r"\brated\b", r"\bofsted\b",
    r"\breports?\b", r"\bpolic(?:y|ies)\b", r"\bnewsletters?\b", r"\bpublished\b", r"\bupdated\b",
    r"\breviewed\b", r"\baccessed\b", r"\bpdf\b", r"\.docx?\b", r"\bversion\b", r"\bannual\b", r"\baccounts\b",
    r"\bcopyright\b", r"©", r"\bcharity\s+(?:no|number)\b", r"\bcompany\s+(?:no|number)\b", r"\bborn\b",
    r"\bbetween\s+(?:19|20)\d{2}\s+and\b", r"\bover\s+the\s+(?:last|past)\b", r"\bhistory\b",
    r"\bstarted\b", r"\bopened\b", r"\bdated\b", r"\bissued\b", r"\beffective\s+from\b", r"\bas\s+(?:of|at)\b",
    r"\bcorrect\s+(?:at|as)\b", r"\brevised\b", r"\bamended\b",
])


_HAS_YEAR_OR_DATE = re.compile(r"\d{2}")


@dataclass(frozen=True, slots=True)
class PastEvent:
    phrase: str
    sentence: str
    ended: date


def _season_end(season: str, year: int) -> date:
    key = re.sub(r"\s+", " ", season.lower().replace("-", " "))
    key = {"feb half term": "february", "oct half term": "october", "february half term": "february",
           "may half term": "may", "october half term": "october", "halfterm": "half term"}.get(key, key)
    month, day, offset = _SEASON_END.get(key, (12, 31, 0))
    return date(year + offset, month, day)


def past_events(text: str, today: date, *, grace_days: int = 0) -> list[PastEvent]:
    """Dated sessions, clubs and holidays in ``text`` that were over before ``today``.

    A date only counts when its sentence is about something happening (a session, club,
    holiday, booking, "until") and not about history or a document ("founded in 2019",
    "Ofsted report March 2019", "Annual report 2021 (PDF)") or the service's closure
    ("the group closed in June 2022", which ``closure_sentence`` reports).
    """
    cutoff = today - timedelta(days=grace_days)
    found: list[PastEvent] = []
    for sentence in sentences(text):
        # Every dated event has a year or a date in figures: most sentences have none.
        if not _HAS_YEAR_OR_DATE.search(sentence) or _HISTORY_CONTEXT.search(sentence):
            continue
        if closure_sentence(sentence) is not None:
            # "The group closed in June 2022": history, reported as a closure.
            continue
        event = _first_past_event(sentence, cutoff)
        if event is not None:
            found.append(event)
    return found


def _first_past_event(sentence: str, cutoff: date) -> PastEvent | None:
    for match in _SEASON_YEAR.finditer(sentence):
        season = match.group("season") or match.group("season2")
        year = int(match.group("year") or match.group("year2"))
        ended = _season_end(season, year)
        if ended < cutoff:
            return PastEvent(match.group(0).strip(), sentence, ended)
    for match in _EVENT_YEAR.finditer(sentence):
        year = int(match.group("year") or match.group("year2"))
        following = match.group("next") or match.group("next2")
        if following:
            # An academic year, 2021/22 or 2021-2022, runs to the end of August.
            ended = date(year + 1, 8, 31)
        else:
            ended = date(year, 12, 31)
        if ended < cutoff:
            return PastEvent(match.group(0).strip(), sentence, ended)
    if not _EVENT_CONTEXT.search(sentence):
        return None
    mentions: list[DateMention] = find_dates(sentence)
    if not mentions:
        return None
    # A range ("1 June 2021 - 30 July 2022") is over when its last date is.
    latest = max(mentions, key=lambda m: m.end)
    if latest.end < cutoff:
        return PastEvent(latest.raw, sentence, latest.end)
    return None
