"""Real Ballerine definitions with plugins, as data (ballerine-io/ballerine,
services/workflows-service/scripts/workflows/). TypeScript expressions are resolved to what
they yield (`StateTag.MANUAL_REVIEW` -> "manual_review", `${env.X}` -> a literal); what our
rules refuse is changed only where the tests say so."""

import copy

# parent-kyb-kyc-session-workflow.ts: the statechart without its collection-flow UI metadata.
PARENT_KYB_STATECHART = {
    "id": "kyb_parent_kyc_session_example_v1",
    "predictableActionArguments": True,
    "initial": "data_collection",
    "context": {"documents": []},
    "states": {
        "data_collection": {"on": {"start": "run_ubos"}},
        "run_ubos": {"on": {"CONTINUE": [{"target": "run_kyb_enrichment"}], "FAILED": [{"target": "auto_reject"}]}},
        "run_kyb_enrichment": {
            "on": {"KYB_DONE": [{"target": "pending_kyc_response_to_finish"}], "FAILED": [{"target": "auto_reject"}]}
        },
        "pending_kyc_response_to_finish": {
            "on": {
                "KYC_RESPONDED": [
                    {
                        "target": "manual_review",
                        "cond": {
                            "type": "jmespath",
                            "options": {
                                "rule": "length(childWorkflows.kyc_email_session_example.*.[result.vendorResult.decision][]) == length(childWorkflows.kyc_email_session_example.*[])"
                            },
                        },
                    }
                ]
            },
            "always": [
                {
                    "target": "manual_review",
                    "cond": {
                        "type": "jmespath",
                        "options": {
                            "rule": "entity.data.additionalInfo.ubos == null || length(entity.data.additionalInfo.ubos) == `0`"
                        },
                    },
                }
            ],
        },
        "manual_review": {
            "tags": ["manual_review"],
            "on": {"approve": "approved", "reject": "rejected", "revision": "revision"},
        },
        "pending_resubmission": {"tags": ["revision"], "on": {"RESUBMITTED": "manual_review"}},
        "approved": {"tags": ["approved"], "type": "final"},
        "revision": {"tags": ["revision"], "always": [{"target": "pending_resubmission"}]},
        "rejected": {"tags": ["rejected"], "type": "final"},
        "auto_reject": {"tags": ["rejected"], "type": "final"},
    },
}

_PARENT_KYB_EXTENSIONS = {
    "apiPlugins": [
        {
            "name": "open_corporates",
            "pluginKind": "kyb",
            "url": "https://unified-api.example.com/companies",  # `${env.UNIFIED_API_URL}/companies`
            "method": "GET",
            "stateNames": ["run_kyb_enrichment"],
            "successAction": "KYB_DONE",
            "errorAction": "KYB_DONE",
            "headers": {"Authorization": "Bearer {secret.UNIFIED_API_TOKEN}"},
            "request": {
                "transform": [
                    {
                        "transformer": "jmespath",
                        # No comma after `state: ...`: jmespath.js (and our parser) read it all the same.
                        "mapping": """{
              countryOfIncorporation: entity.data.countryOfIncorporation,
              companyNumber: entity.data.registrationNumber,
              state: entity.data.dynamicInfo.companyInformation.state
              vendor: 'open-corporates'
              }""",
                    }
                ]
            },
            "response": {"transform": [{"transformer": "jmespath", "mapping": "@"}]},
        },
        {
            "name": "resubmission_email",
            "pluginKind": "email",
            "url": "{secret.EMAIL_API_URL}",
            "method": "POST",
            "stateNames": ["pending_resubmission"],
            "headers": {"Authorization": "Bearer {secret.EMAIL_API_TOKEN}", "Content-Type": "application/json"},
            "request": {
                "transform": [
                    {
                        "transformer": "jmespath",
                        "mapping": """{
              kybCompanyName: entity.data.companyName,
              customerCompanyName: entity.data.additionalInfo.ubos[0].entity.data.additionalInfo.customerCompany,
              firstName: entity.data.additionalInfo.mainRepresentative.firstName,
              resubmissionLink: join('',['https://',entity.data.additionalInfo.ubos[0].entity.data.additionalInfo.normalizedCustomerCompany,'.demo.ballerine.app','/workflowRuntimeId=',workflowRuntimeId,'?resubmitEvent=RESUBMITTED']),
              supportEmail: join('',[entity.data.additionalInfo.ubos[0].entity.data.additionalInfo.normalizedCustomerCompany,'@support.com']),
              from: 'no-reply@ballerine.com',
              name: join(' ',[entity.data.additionalInfo.ubos[0].entity.data.additionalInfo.customerCompany,'Team']),
              receivers: [entity.data.additionalInfo.mainRepresentative.email],
              templateId: 'd-7305991b3e5840f9a14feec767ea7301',
              revisionReason: documents[].decision[].revisionReason | [0],
              adapter: 'sendgrid'
              }""",
                    }
                ]
            },
            "response": {"transform": []},
        },
    ],
    "childWorkflowPlugins": [
        {
            "pluginKind": "child",
            "name": "veriff_kyc_child_plugin",
            "definitionId": "kyc_email_session_example",
            "transformers": [{"transformer": "jmespath", "mapping": "@"}],
            "initEvent": "start",
        }
    ],
    "commonPlugins": [
        {
            "pluginKind": "iterative",
            "name": "ubos_iterractive",
            "actionPluginName": "veriff_kyc_child_plugin",
            "stateNames": ["run_ubos"],
            "iterateOn": [{"transformer": "jmespath", "mapping": "entity.data.additionalInfo.ubos"}],
            "successAction": "CONTINUE",
            "errorAction": "FAILED",
        }
    ],
}


def parent_kyb_extensions_as_written() -> dict:
    return copy.deepcopy(_PARENT_KYB_EXTENSIONS)


def parent_kyb_extensions() -> dict:
    """The declarations with what our rules legitimately refuse changed: the email url's scheme
    and host written out."""
    extensions = parent_kyb_extensions_as_written()
    extensions["apiPlugins"][1]["url"] = "https://email.example.com/v3/mail/send"  # `{secret.EMAIL_API_URL}`
    return extensions


# compose-kyb-with-associated-companies-definition.ts: the extensions as written; the
# statechart here is a minimal one with the states and events they name.
ASSOCIATED_COMPANIES_EXTENSIONS = {
    "apiPlugins": [
        {
            "name": "invitation-email",
            "pluginKind": "template-email",
            "template": "invitation",
            "successAction": "INVITATION_SENT",
            "errorAction": "INVITATION_FAILURE",
            "stateNames": ["collection_invite"],
        },
        {
            "name": "businessInformation",
            "vendor": "asia-verify",
            "pluginKind": "registry-information",
            "displayName": "Registry Information",
            "stateNames": ["run_vendor_data"],
            "successAction": "VENDOR_DONE",
            "errorAction": "VENDOR_DONE",
        },
        {
            "name": "ubo",
            "vendor": "asia-verify",
            "pluginKind": "ubo",
            "displayName": "UBO Check",
            "stateNames": ["run_vendor_data"],
            "successAction": "VENDOR_DONE",
            "errorAction": "VENDOR_FAILED",
        },
    ],
    "dispatchEventPlugins": [
        {
            "name": "update_entities",
            "pluginKind": "dispatch-event",
            "stateNames": ["update_entities"],
            "eventName": "ENTITIES_UPDATE",
            "errorAction": "UPDATE_ENTITIES_FAILED",
            "successAction": "ENTITIES_UPDATED_SUCCESSFULLY",
            "transformers": [
                {
                    "transformer": "jmespath",
                    "mapping": """{
                ubos: entity.data.additionalInfo.ubos,
                directors: entity.data.additionalInfo.directors
              }""",
                }
            ],
        }
    ],
    "childWorkflowPlugins": [
        {
            "pluginKind": "child",
            "name": "associated_company_child_plugin",
            "definitionId": "kyb_child_associated_company",
            "transformers": [
                {"transformer": "jmespath", "mapping": "{entity: {data: @, type: 'business'}, documents: documents}"},
                {
                    "transformer": "helper",
                    "mapping": [
                        {
                            "source": "entity.data",
                            "target": "entity.data",
                            "method": "omit",
                            "value": ["workflowRuntimeId", "workflowRuntimeConfig", "documents"],
                        }
                    ],
                },
            ],
        }
    ],
    "commonPlugins": [
        {
            "pluginKind": "riskRules",
            "name": "riskEvaluation",
            "stateNames": ["manual_review", "run_vendor_data"],
            "rulesSource": {"source": "notion", "databaseId": "2117f1074d4848cf8e4714df31a2aa06"},
        },
        {
            "pluginKind": "iterative",
            "name": "associated_company_iterative",
            "actionPluginName": "associated_company_child_plugin",
            "stateNames": ["generate_associated_companies"],
            "iterateOn": [
                {
                    "transformer": "helper",
                    "mapping": [
                        {
                            "source": "entity.data.additionalInfo.associatedCompanies",
                            "target": "entity.data.additionalInfo.associatedCompanies",
                            "method": "mergeArrayEachItemWithValue",
                            "options": {
                                "mapJmespath": "entity.data.additionalInfo.associatedCompanies",
                                "mergeWithJmespath": "{ additionalInfo: { customerName: metadata.customerName, kybCompanyName: entity.data.companyName } }",
                            },
                        }
                    ],
                },
                {"transformer": "jmespath", "mapping": "entity.data.additionalInfo.associatedCompanies"},
            ],
            "successAction": "ASSOCIATED_COMPANIES_GENERATED",
            "errorAction": "ASSOCIATED_COMPANIES_FAILED",
        },
    ],
}

ASSOCIATED_COMPANIES_STATECHART = {
    "initial": "collection_invite",
    "states": {
        "collection_invite": {"on": {"INVITATION_SENT": "run_vendor_data", "INVITATION_FAILURE": "failed"}},
        "run_vendor_data": {"on": {"VENDOR_DONE": "update_entities", "VENDOR_FAILED": "failed"}},
        "update_entities": {
            "on": {"ENTITIES_UPDATED_SUCCESSFULLY": "generate_associated_companies", "UPDATE_ENTITIES_FAILED": "failed"}
        },
        "generate_associated_companies": {
            "on": {"ASSOCIATED_COMPANIES_GENERATED": "manual_review", "ASSOCIATED_COMPANIES_FAILED": "failed"}
        },
        "manual_review": {"tags": ["manual_review"], "on": {"approve": "approved", "reject": "rejected"}},
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
        "failed": {"type": "final"},
    },
}
