"""The demo's cases: a few of each kind, in every state an operator meets, so that `make run`
shows queues with work in them. Started through the same service as the API, by the system."""

BUSINESS = "till_basic_kyb_demo"
INDIVIDUAL = "individual_kyc_demo"
# Runs a registry check and an asynchronous sanctions screening against the sandbox vendor
# (automation.sandbox) once the worker is up; then lands in manual review.
AUTOMATED = "kyb_automated_checks_demo"
# Decided per document: the case moves by itself once its documents are decided.
DOCUMENTS = "kyc_document_review_demo"
# Starts a KYC case per UBO once the worker is up; approving them all moves it to manual review.
WITH_UBOS = "kyb_ubo_demo"


def _business_with_ubos(entity_id, company, country, registration, ubos):
    context = _business(entity_id, company, country, registration, ubos[0]["firstName"], ubos[0]["lastName"], ubos[0]["email"])
    context["entity"]["data"]["additionalInfo"]["ubos"] = ubos
    return context


def _with_documents(entity_id, first, last, email, country, number, address):
    """A context whose documents are stored when the demo is loaded (a callable of the project)."""
    from .documents import demo_documents

    def build(project):
        context = _individual(entity_id, first, last, email)
        context["documents"] = demo_documents(project, first=first, last=last, country=country, number=number, address=address)
        return context

    return build


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


def _individual(entity_id, first, last, email):
    return {"entity": {"type": "individual", "id": entity_id, "data": {"firstName": first, "lastName": last, "email": email}}, "documents": []}


# (definition key, context, events sent after the start: (name, payload))
DEMO_CASES = [
    (BUSINESS, _business("demo-biz-1", "Northwind Trading Ltd", "GB", "09876543", "Amelia", "Hart", "amelia@northwind.example"), []),
    (BUSINESS, _business("demo-biz-2", "Blue Harbour Logistics GmbH", "DE", "HRB 20431", "Jonas", "Weber", "jonas@blueharbour.example"), []),
    (BUSINESS, _business("demo-biz-3", "Sunrise Foods SA", "FR", "552 100 554", "Claire", "Moreau", "claire@sunrise.example"), []),
    (
        BUSINESS,
        _business("demo-biz-4", "Quartz Capital Holdings", "CY", "HE 401223", "Nikos", "Petrou", "nikos@quartz.example"),
        [("revision", {"reason": "Registration document missing or unreadable"})],
    ),
    (BUSINESS, _business("demo-biz-5", "Greenfield Solar Inc", "US", "5123987", "Maya", "Lopez", "maya@greenfield.example"), [("approve", {})]),
    (
        BUSINESS,
        _business("demo-biz-6", "Obsidian Ventures Ltd", "VG", "2001457", "Victor", "Crane", "victor@obsidian.example"),
        [("reject", {"reason": "Sanctions or adverse media hit", "comment": "Director listed on a sanctions list."})],
    ),
    (AUTOMATED, _business("demo-auto-1", "Harbourview Analytics Ltd", "GB", "11223347", "Priya", "Shah", "priya@harbourview.example"), []),
    # A registration number the sandbox registry does not know (it ends in 0).
    (AUTOMATED, _business("demo-auto-2", "Lumen Freight BV", "NL", "77001230", "Daan", "Visser", "daan@lumen.example"), []),
    # A name the sandbox screening lists as a hit.
    (AUTOMATED, _business("demo-auto-3", "Obsidian Maritime SA", "PA", "1554321", "Rafael", "Ortiz", "rafael@obsidian-maritime.example"), []),
    (DOCUMENTS, _with_documents("demo-doc-1", "Grace", "Hopper", "grace@example.com", "US", "P4471203", "12 Harbour Row, Arlington"), []),
    (DOCUMENTS, _with_documents("demo-doc-2", "Alan", "Turing", "alan@example.com", "GB", "P9033817", "3 Bletchley Lane, Milton Keynes"), []),
    (
        WITH_UBOS,
        _business_with_ubos(
            "demo-ubo-biz-1", "Meridian Shipping Ltd", "GB", "08123456",
            [
                {"id": "demo-ubo-1", "firstName": "Helen", "lastName": "Park", "email": "helen@meridian.example", "ownership": 55},
                {"id": "demo-ubo-2", "firstName": "Omar", "lastName": "Haddad", "email": "omar@meridian.example", "ownership": 45},
            ],
        ),
        [],
    ),
    (INDIVIDUAL, _individual("demo-person-1", "Ada", "Lovelace", "ada@example.com"), []),
    (INDIVIDUAL, _individual("demo-person-2", "Kwame", "Mensah", "kwame@example.com"), []),
    (INDIVIDUAL, _individual("demo-person-3", "Sofia", "Rossi", "sofia@example.com"), [("approve", {})]),
]
