"""The demo's cases: a few dozen, in every state an operator meets, so that the first login
shows queues with work in them. Each case is a script played through the same services as the
pages and the API (workflows.demo.play): started by the system, then assigned, noted, decided
(with reasons, four eyes), its documents decided, its UBOs' cases started and decided, by the
demo operators, the demo integration (an API key) or the worker, each step at its time after
the case was started, so that the history reads as a day's work would and some open cases are
past their due time (`slaHours`)."""

from dataclasses import dataclass, field

BUSINESS = "till_basic_kyb_demo"
INDIVIDUAL = "individual_kyc_demo"
# Runs a registry check and an asynchronous sanctions screening against the sandbox vendor
# (automation.sandbox) once the worker is up; then lands in manual review.
AUTOMATED = "kyb_automated_checks_demo"
# Decided per document: the case moves by itself once its documents are decided.
DOCUMENTS = "kyc_document_review_demo"
# Starts a KYC case per UBO (the worker, or a `plugins` step here); approving them all moves it to manual review.
WITH_UBOS = "kyb_ubo_demo"

# Who acts in a step: a demo user's name, the demo integration (an API key) or the worker.
INTEGRATION = "integration"
WORKER = "worker"

# The demo operators (besides `admin` and `operator`): user name, password.
DEMO_OPERATORS = (("alice", "alice"), ("bob", "bob"))

# Makes the small jitter of the times (minutes) the same on every load.
SEED = 2026


@dataclass(frozen=True)
class Step:
    at: float  # hours after the case was started
    who: str
    action: str  # assign, note, event, confirm, send_back, document, plugins, child
    args: tuple = ()


@dataclass(frozen=True)
class DemoCase:
    key: str
    context: object  # a context, or a callable of the project (its documents are stored first)
    age: float  # hours ago that it was started
    steps: tuple = field(default_factory=tuple)

    @property
    def people(self) -> set[str]:
        return {step.who for step in self.steps if step.who not in (INTEGRATION, WORKER)}


# --- steps -------------------------------------------------------------------------------------


def assign(at, who, to=None):
    """`who` assigns the case to `to` (themselves by default)."""
    return Step(at, who, "assign", (to or who,))


def note(at, who, text):
    return Step(at, who, "note", (text,))


def event(at, who, name, reason=None, comment=None):
    payload = {}
    if reason:
        payload["reason"] = reason
    if comment:
        payload["comment"] = comment
    return Step(at, who, "event", (name, payload))


def integration_event(at, name):
    """The demo integration (an API key: the applicant portal) sends `name`."""
    return Step(at, INTEGRATION, "event", (name, {}))


def confirm(at, who):
    """The second approval of the decision waiting on the case."""
    return Step(at, who, "confirm")


def send_back(at, who, reason):
    return Step(at, who, "send_back", (reason,))


def document(at, who, index, decision, reason=""):
    """Decides the case's document number `index` (0: the passport, 1: the utility bill)."""
    return Step(at, who, "document", (index, decision, reason))


def plugins(at):
    """The worker runs the case's queued plugin runs (here only those that call no vendor: the
    UBO cases are started this way)."""
    return Step(at, WORKER, "plugins")


def child(at, who, entity_id, name, reason=None):
    """`who` sends `name` to the case's child case about `entity_id`."""
    return Step(at, who, "child", (entity_id, name, {"reason": reason} if reason else {}))


# --- contexts ----------------------------------------------------------------------------------


def _business(entity_id, company, country, registration, first, last, email):
    return {
        "entity": {
            "type": "business",
            "id": entity_id,
            "data": {
                "companyName": company,
                "country": country,
                "registrationNumber": registration,
                "additionalInfo": {"mainRepresentative": {"firstName": first, "lastName": last, "email": email}},
            },
        },
        "documents": [],
    }


def _business_with_ubos(entity_id, company, country, registration, ubos, representative=None):
    first, last, email = representative or (ubos[0]["firstName"], ubos[0]["lastName"], ubos[0]["email"])
    context = _business(entity_id, company, country, registration, first, last, email)
    context["entity"]["data"]["additionalInfo"]["ubos"] = ubos
    return context


def _ubo(entity_id, first, last, email, ownership):
    return {"id": entity_id, "firstName": first, "lastName": last, "email": email, "ownership": ownership}


def _individual(entity_id, first, last, email):
    return {"entity": {"type": "individual", "id": entity_id, "data": {"firstName": first, "lastName": last, "email": email}}, "documents": []}


def _with_documents(entity_id, first, last, email, country, number, address):
    """A context whose documents are stored when the demo is loaded (a callable of the project)."""
    from .documents import demo_documents

    def build(project):
        context = _individual(entity_id, first, last, email)
        context["documents"] = demo_documents(project, first=first, last=last, country=country, number=number, address=address)
        return context

    return build


# --- the cases ---------------------------------------------------------------------------------
# Businesses: 48 hours to decide (slaHours), approvals need a second member (fourEyes).
BUSINESS_CASES = [
    DemoCase(BUSINESS, _business("demo-biz-1", "Northwind Trading Ltd", "GB", "09876543", "Amelia", "Hart", "amelia@northwind.example"), 3),
    DemoCase(BUSINESS, _business("demo-biz-2", "Blue Harbour Logistics GmbH", "DE", "HRB 20431", "Jonas", "Weber", "jonas@blueharbour.example"), 7),
    DemoCase(
        BUSINESS, _business("demo-biz-3", "Sunrise Foods SA", "FR", "552 100 554", "Claire", "Moreau", "claire@sunrise.example"), 20,
        (assign(2, "operator"), note(3, "operator", "Asked Claire for the 2025 annual accounts; she expects them by Friday.")),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-4", "Quartz Capital Holdings", "CY", "HE 401223", "Nikos", "Petrou", "nikos@quartz.example"), 50,
        (event(4, "operator", "revision", "Registration document missing or unreadable", "The certificate of incorporation scan is cut off at the bottom."),),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-5", "Greenfield Solar Inc", "US", "5123987", "Maya", "Lopez", "maya@greenfield.example"), 30,
        (event(5, "operator", "approve"), confirm(8, "alice")),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-6", "Obsidian Ventures Ltd", "VG", "2001457", "Victor", "Crane", "victor@obsidian.example"), 70,
        (
            assign(1, "alice"),
            note(2, "alice", "Adverse media search shows a 2024 enforcement action against the director."),
            event(6, "alice", "reject", "Sanctions or adverse media hit", "Director listed on a sanctions list."),
        ),
    ),
    DemoCase(BUSINESS, _business("demo-biz-7", "Atlas Freight Forwarding Ltd", "IE", "IE 645120", "Siobhan", "Kelly", "siobhan@atlasfreight.example"), 62),
    DemoCase(
        BUSINESS, _business("demo-biz-8", "Copperleaf Interiors Ltd", "GB", "12044871", "Oliver", "Grant", "oliver@copperleaf.example"), 100,
        (assign(10, "operator"), note(11, "operator", "Waiting for the bank reference letter before deciding.")),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-9", "Helios Robotics GmbH", "DE", "HRB 88310", "Lena", "Fischer", "lena@helios.example"), 26,
        (assign(18, "alice"), note(19, "alice", "Registry, UBO register and website all match."), event(20, "alice", "approve")),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-10", "Maple & Finch Bakery Ltd", "CA", "BC1188420", "Chloe", "Tremblay", "chloe@maplefinch.example"), 9,
        (event(6, "operator", "approve"),),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-11", "Vantage Point Media SL", "ES", "B-87412345", "Javier", "Ruiz", "javier@vantagepoint.example"), 40,
        (
            event(3, "operator", "approve"),
            send_back(5, "bob", "The registry extract is older than three months: get a fresh one first."),
            note(6, "operator", "Requested a new registry extract from Javier."),
        ),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-12", "Riverbend Organics LLC", "US", "OR-4471920", "Hannah", "Brooks", "hannah@riverbend.example"), 200,
        (
            event(24, "bob", "revision", "Representative details incomplete", "The representative's e-mail bounced."),
            integration_event(100, "RESUBMITTED"),
            note(110, "bob", "New contact details check out."),
            event(120, "bob", "approve"),
            confirm(122, "operator"),
        ),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-13", "Kestrel Aviation Services Ltd", "MT", "C 90455", "Marco", "Camilleri", "marco@kestrel.example"), 150,
        (event(30, "operator", "reject", "Business type not accepted", "Aircraft leasing is outside our risk appetite."),),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-14", "Nimbus Cloud Partners BV", "NL", "81234567", "Sanne", "Bakker", "sanne@nimbus.example"), 14,
        (assign(1, "bob"),),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-15", "Tidewater Seafood AS", "NO", "923 456 789", "Ingrid", "Larsen", "ingrid@tidewater.example"), 80,
        (
            event(10, "alice", "revision", "Proof of address missing"),
            integration_event(60, "RESUBMITTED"),
            note(62, "alice", "Proof of address received; checking it against the registry."),
        ),
    ),
    DemoCase(
        BUSINESS, _business("demo-biz-16", "Silverline Textiles Pvt Ltd", "IN", "U17120MH2019PTC3", "Arjun", "Mehta", "arjun@silverline.example"), 300,
        (event(20, "operator", "approve"), confirm(26, "alice")),
    ),
    DemoCase(BUSINESS, _business("demo-biz-17", "Crescent Pharma Ltd", "GB", "13377801", "Imogen", "Shaw", "imogen@crescent.example"), 1),
]

# Individuals: 24 hours (slaHours).
INDIVIDUAL_CASES = [
    DemoCase(INDIVIDUAL, _individual("demo-person-1", "Ada", "Lovelace", "ada@example.com"), 2),
    DemoCase(INDIVIDUAL, _individual("demo-person-2", "Kwame", "Mensah", "kwame@example.com"), 5),
    DemoCase(INDIVIDUAL, _individual("demo-person-3", "Sofia", "Rossi", "sofia@example.com"), 40, (event(3, "operator", "approve"),)),
    DemoCase(INDIVIDUAL, _individual("demo-person-4", "Lars", "Eriksen", "lars@example.com"), 30),
    DemoCase(
        INDIVIDUAL, _individual("demo-person-5", "Mei", "Chen", "mei@example.com"), 12,
        (assign(1, "operator"), note(2, "operator", "Passport and selfie match; waiting for the proof of address.")),
    ),
    DemoCase(
        INDIVIDUAL, _individual("demo-person-6", "Diego", "Alvarez", "diego@example.com"), 50,
        (assign(4, "bob"), note(5, "bob", "Name matches a PEP list entry; checking the date of birth.")),
    ),
    DemoCase(
        INDIVIDUAL, _individual("demo-person-7", "Fatima", "Zahra", "fatima@example.com"), 70,
        (event(4, "alice", "reject", "Identity could not be verified", "Three attempts, none of them with a readable document."),),
    ),
    DemoCase(INDIVIDUAL, _individual("demo-person-8", "Noah", "Schmidt", "noah@example.com"), 20, (event(2, "operator", "revision", "Document photo unreadable"),)),
    DemoCase(INDIVIDUAL, _individual("demo-person-9", "Aiko", "Tanaka", "aiko@example.com"), 100, (event(5, "alice", "approve"),)),
    DemoCase(INDIVIDUAL, _individual("demo-person-10", "Pieter", "de Vries", "pieter@example.com"), 160, (event(8, "bob", "approve"),)),
    DemoCase(INDIVIDUAL, _individual("demo-person-11", "Olga", "Ivanova", "olga@example.com"), 90, (event(6, "operator", "reject", "Sanctions or PEP hit"),)),
    DemoCase(INDIVIDUAL, _individual("demo-person-12", "Liam", "O'Connor", "liam@example.com"), 6, (assign(1, "alice"),)),
]

# Started just now: the worker runs their checks against the sandbox vendor once `make run` serves.
AUTOMATED_CASES = [
    DemoCase(AUTOMATED, _business("demo-auto-1", "Harbourview Analytics Ltd", "GB", "11223347", "Priya", "Shah", "priya@harbourview.example"), 0.2),
    # A registration number the sandbox registry does not know (it ends in 0).
    DemoCase(AUTOMATED, _business("demo-auto-2", "Lumen Freight BV", "NL", "77001230", "Daan", "Visser", "daan@lumen.example"), 0.15),
    # A name the sandbox screening lists as a hit.
    DemoCase(AUTOMATED, _business("demo-auto-3", "Obsidian Maritime SA", "PA", "1554321", "Rafael", "Ortiz", "rafael@obsidian-maritime.example"), 0.1),
]

# Decided per document: 24 hours (slaHours).
DOCUMENT_CASES = [
    DemoCase(DOCUMENTS, _with_documents("demo-doc-1", "Grace", "Hopper", "grace@example.com", "US", "P4471203", "12 Harbour Row, Arlington"), 4),
    DemoCase(DOCUMENTS, _with_documents("demo-doc-2", "Alan", "Turing", "alan@example.com", "GB", "P9033817", "3 Bletchley Lane, Milton Keynes"), 6),
    DemoCase(
        DOCUMENTS, _with_documents("demo-doc-3", "Katherine", "Johnson", "katherine@example.com", "US", "P5120448", "8 Langley Road, Hampton"), 20,
        (document(2, "alice", 0, "approve"),),
    ),
    DemoCase(
        DOCUMENTS, _with_documents("demo-doc-4", "Margaret", "Hamilton", "margaret@example.com", "US", "P7781032", "40 Apollo Street, Cambridge"), 48,
        (document(3, "operator", 0, "approve"), document(3.2, "operator", 1, "approve")),
    ),
    DemoCase(
        DOCUMENTS, _with_documents("demo-doc-5", "Hedy", "Lamarr", "hedy@example.com", "AT", "P3309215", "5 Ring Strasse, Vienna"), 30,
        (document(5, "operator", 0, "reject", "Document forged or tampered with"),),
    ),
    DemoCase(
        DOCUMENTS, _with_documents("demo-doc-6", "Tim", "Berners", "tim@example.com", "GB", "P6604127", "1 Web Close, London"), 60,
        (document(2, "bob", 0, "approve"), document(2.5, "bob", 1, "revision", "Older than three months")),
    ),
]

# Businesses with a KYC case per UBO (48 hours; their UBOs' cases 24 hours).
UBO_CASES = [
    DemoCase(
        WITH_UBOS,
        _business_with_ubos(
            "demo-ubo-biz-1", "Meridian Shipping Ltd", "GB", "08123456",
            [_ubo("demo-ubo-1", "Helen", "Park", "helen@meridian.example", 55), _ubo("demo-ubo-2", "Omar", "Haddad", "omar@meridian.example", 45)],
        ),
        10,
        (plugins(0.05), child(3, "bob", "demo-ubo-1", "approve")),
    ),
    DemoCase(
        WITH_UBOS,
        _business_with_ubos(
            "demo-ubo-biz-2", "Aurora Wind Energy ApS", "DK", "41223344",
            [_ubo("demo-ubo-3", "Freja", "Nielsen", "freja@aurorawind.example", 60), _ubo("demo-ubo-4", "Mads", "Holm", "mads@aurorawind.example", 40)],
        ),
        30,
        (
            plugins(0.05),
            child(4, "alice", "demo-ubo-3", "approve"),
            child(5, "alice", "demo-ubo-4", "approve"),
            assign(6, "operator"),
            note(7, "operator", "Both UBOs cleared; reviewing the group structure chart."),
        ),
    ),
    DemoCase(
        WITH_UBOS,
        _business_with_ubos(
            "demo-ubo-biz-3", "Pinnacle Mining Corp", "CA", "BC0977123",
            [
                _ubo("demo-ubo-5", "Ethan", "Roy", "ethan@pinnacle.example", 40),
                _ubo("demo-ubo-6", "Ava", "Singh", "ava@pinnacle.example", 35),
                _ubo("demo-ubo-7", "Noor", "Rahman", "noor@pinnacle.example", 25),
            ],
        ),
        120,
        (
            plugins(0.05),
            child(10, "operator", "demo-ubo-5", "approve"),
            child(11, "operator", "demo-ubo-6", "approve"),
            child(12, "operator", "demo-ubo-7", "approve"),
            event(30, "alice", "approve"),
        ),
    ),
    DemoCase(
        WITH_UBOS,
        _business_with_ubos(
            "demo-ubo-biz-4", "Scarlet Peak Trading FZE", "AE", "FZE-20931",
            [_ubo("demo-ubo-8", "Yusuf", "Karim", "yusuf@scarletpeak.example", 100)],
        ),
        50,
        (plugins(0.05), child(6, "bob", "demo-ubo-8", "reject", "Sanctions or PEP hit"), event(8, "bob", "reject", "A UBO failed KYC")),
    ),
    # Left for the worker: it starts the two UBOs' cases once `make run` serves.
    DemoCase(
        WITH_UBOS,
        _business_with_ubos(
            "demo-ubo-biz-5", "Evergreen Timber Ltd", "NZ", "NZ 7731180",
            [_ubo("demo-ubo-9", "Aroha", "Ngata", "aroha@evergreen.example", 70), _ubo("demo-ubo-10", "James", "Wilson", "james@evergreen.example", 30)],
        ),
        0.1,
    ),
    # Failed: a business that declared no UBOs has no UBO cases, and the definition's condition
    # on UBO_DECIDED (`values(childWorkflows.kyc_ubo_demo)`) throws when the integration sends it.
    DemoCase(
        WITH_UBOS,
        _business_with_ubos("demo-ubo-biz-6", "Lakeside Ventures LLC", "US", "DE-6610245", [], ("Rachel", "Adams", "rachel@lakeside.example")),
        36,
        (plugins(0.05), integration_event(2, "UBO_DECIDED")),
    ),
    DemoCase(
        WITH_UBOS,
        _business_with_ubos("demo-ubo-biz-7", "Hollow Oak Partners LP", "GB", "LP021877", [], ("Edward", "Finch", "edward@hollowoak.example")),
        90,
        (plugins(0.05), integration_event(5, "UBO_DECIDED")),
    ),
]

DEMO_CASES = BUSINESS_CASES + INDIVIDUAL_CASES + AUTOMATED_CASES + DOCUMENT_CASES + UBO_CASES
