/*
 * routes: the route table (see routes.h). Body caps are per route and
 * never above the server's --max-body; a route with cap 0 takes no body.
 */
#include "service/routes.h"

#include "common/util.h"

const struct http_route server_routes[] = {
    /* method  pattern                           who                          handler  body */
    {"GET", "/healthz", WHO_ANYONE, h_healthz, 0},
    {"GET", "/metrics", WHO_ADMIN, h_metrics, 0},

    {"POST", "/v1/enroll", WHO_ANYONE, h_enroll, 4096},
    {"POST", "/v1/login", WHO_ANYONE, h_login, 2048},

    {"GET", "/v1/me/code", WHO_RESIDENT, h_me_code, 0},
    {"GET", "/v1/me/code.png", WHO_RESIDENT, h_me_code_png, 0},
    {"GET", "/v1/me/code.svg", WHO_RESIDENT, h_me_code_svg, 0},
    {"GET", "/v1/me/accesses", WHO_RESIDENT, h_me_accesses, 0},
    {"GET", "/v1/me/history", WHO_RESIDENT, h_me_history, 0},
    {"DELETE", "/v1/me", WHO_RESIDENT, h_me_erase, 0},

    {"PUT", "/v1/residents/{id}/status", WHO_OFFICER, h_resident_status, 1024},
    {"POST", "/v1/residents/{id}/paper-code", WHO_OFFICER, h_paper_code, 1024},
    {"POST", "/v1/lookup", WHO_OFFICER, h_lookup, 1024},

    {"POST", "/v1/verify", WHO_VERIFIER, h_verify, 4096},
    {"POST", "/v1/scans", WHO_VERIFIER, h_scans, 1 << 20},

    {"GET", "/v1/trust", WHO_ANYONE, h_trust, 0},
    {"GET", "/v1/revocations", WHO_ANYONE, h_revocations, 0},

    {"GET", "/v1/audit/checkpoint", WHO_AUDITOR | WHO_RESIDENT, h_audit_checkpoint, 0},
    {"GET", "/v1/audit/entries", WHO_AUDITOR, h_audit_entries, 0},
    {"GET", "/v1/audit/proof/inclusion", WHO_AUDITOR | WHO_RESIDENT, h_audit_inclusion, 0},
    {"GET", "/v1/audit/proof/consistency", WHO_AUDITOR, h_audit_consistency, 0},
};

const size_t server_n_routes = AK_ARRAY_LEN(server_routes);
