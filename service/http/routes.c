/*
 * routes: the route table (see routes.h). Body caps are per route and
 * never above the server's --max-body; a route with cap 0 takes no body.
 */
#include "service/http/routes.h"

#include "common/util.h"

#define ANY      WHO_ANYONE
#define RESIDENT WHO_RESIDENT
#define VERIFIER WHO_VERIFIER
#define OFFICER  WHO_OFFICER
#define AUDITOR  WHO_AUDITOR
#define ADMIN    WHO_ADMIN

/* clang-format off */
const struct route routes[] = {
/*   method    pattern                               who                 body     limit               touches        action              handler */
    {"GET",    "/",                                  ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_page},
    {"GET",    "/check",                             ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_page},
    {"GET",    "/audit",                             ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_page},
    {"GET",    "/assets/{file}",                     ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_asset},
    {"GET",    "/sw.js",                             ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_page},

    {"GET",    "/healthz",                           ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_healthz},
    {"GET",    "/metrics",                           ADMIN,              0,       LIMIT_NONE,         DATA_OPS,      ACT_NONE,           &h_metrics},

    {"POST",   "/v1/enroll",                         WHO_ENROLLERS,      4096,    LIMIT_ENROL,        DATA_STATE,    ACT_ENROLL,         &h_enroll},
    {"POST",   "/v1/login",                          ANY,                2048,    LIMIT_NONE,         DATA_STATE,    ACT_LOGIN,          &h_login},
    {"DELETE", "/v1/session",                        RESIDENT,           0,       LIMIT_NONE,         DATA_STATE,    ACT_LOGOUT,         &h_logout},
    {"DELETE", "/v1/sessions",                       RESIDENT,           0,       LIMIT_NONE,         DATA_STATE,    ACT_LOGOUT,         &h_logout_all},

    {"GET",    "/v1/me/code",                        RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ISSUE,          &h_me_code},
    {"GET",    "/v1/me/code.png",                    RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ISSUE,          &h_me_code_png},
    {"GET",    "/v1/me/code.svg",                    RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ISSUE,          &h_me_code_svg},
    {"GET",    "/v1/me/accesses",                    RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ACCESSES_READ,  &h_me_accesses},
    {"GET",    "/v1/me/history",                     RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_HISTORY_READ,   &h_me_history},
    {"GET",    "/v1/me/sessions",                    RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_SESSIONS_READ,  &h_sessions},
    {"DELETE", "/v1/me",                             RESIDENT,           0,       LIMIT_NONE,         DATA_STATE,    ACT_ERASE,          &h_me_erase},

    {"PUT",    "/v1/residents/{handle}/status",      OFFICER,            1024,    LIMIT_NONE,         DATA_STATE,    ACT_STATUS_SET,     &h_status},
    {"POST",   "/v1/residents/{handle}/paper-code",  OFFICER,            1024,    LIMIT_OFFICER_READ, DATA_PERSONAL, ACT_PRINT_CODE,     &h_paper_code},
    {"POST",   "/v1/lookup",                         OFFICER,            1024,    LIMIT_OFFICER_READ, DATA_PERSONAL, ACT_LOOKUP,         &h_lookup},

    {"POST",   "/v1/verify",                         VERIFIER,           4096,    LIMIT_NONE,         DATA_PERSONAL, ACT_VERIFY,         &h_verify},
    {"POST",   "/v1/scans",                          VERIFIER,           1 << 20, LIMIT_NONE,         DATA_STATE,    ACT_VERIFY_OFFLINE, &h_scans},

    {"GET",    "/v1/keys",                           ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_keys},
    {"GET",    "/v1/trust",                          ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_trust},
    {"GET",    "/v1/revocations",                    ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_revocations},

    {"GET",    "/v1/audit/checkpoint",               AUDITOR | RESIDENT, 0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_audit_checkpoint},
    {"GET",    "/v1/audit/entries",                  AUDITOR,            0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_audit_entries},
    {"GET",    "/v1/audit/report",                   AUDITOR,            0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_audit_report},
    {"GET",    "/v1/audit/proof/inclusion",          AUDITOR | RESIDENT, 0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_audit_inclusion},
    {"GET",    "/v1/audit/proof/consistency",        AUDITOR,            0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_audit_consistency},

    {"POST",   "/v1/me/appeals",                     RESIDENT,           4096,    LIMIT_NONE,         DATA_STATE,    ACT_APPEAL_OPEN,    &h_me_appeal_open},
    {"GET",    "/v1/me/appeals",                     RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_APPEALS_READ,   &h_me_appeals},
    {"GET",    "/v1/appeals",                        OFFICER,            0,       LIMIT_OFFICER_READ, DATA_PERSONAL, ACT_APPEAL_LIST,    &h_appeals},
    {"GET",    "/v1/appeals/{appeal}",               OFFICER,            0,       LIMIT_OFFICER_READ, DATA_PERSONAL, ACT_APPEAL_READ,    &h_appeal},
    {"POST",   "/v1/appeals/{appeal}/answer",        OFFICER,            1024,    LIMIT_NONE,         DATA_STATE,    ACT_APPEAL_ANSWER,  &h_appeal_answer},
    {"POST",   "/v1/me/household",                   RESIDENT,           2048,    LIMIT_NONE,         DATA_STATE,    ACT_HOUSEHOLD_ADD,  &h_household_add},
    {"GET",    "/v1/me/household",                   RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_HOUSEHOLD_LIST, &h_household_list},
    {"GET",    "/v1/me/household/{member}/code",     RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ISSUE,          &h_household_code},
    {"GET",    "/v1/me/household/{member}/code.png", RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ISSUE,          &h_household_code_png},
    {"GET",    "/v1/me/household/{member}/code.svg", RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ISSUE,          &h_household_code_svg},
    {"GET",    "/v1/me/household/{member}/accesses", RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_ACCESSES_READ,  &h_household_accesses},
    {"DELETE", "/v1/me/household/{member}",          RESIDENT,           0,       LIMIT_NONE,         DATA_STATE,    ACT_HOUSEHOLD_REMOVE, &h_household_remove},
    {"GET",    "/v1/me/guardians",                   RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_HOUSEHOLD_LIST, &h_guardians},
    {"DELETE", "/v1/me/guardians/{link}",            RESIDENT,           0,       LIMIT_NONE,         DATA_STATE,    ACT_HOUSEHOLD_REMOVE, &h_guardian_withdraw},
    {"GET",    "/v1/household/pending",              OFFICER,            0,       LIMIT_OFFICER_READ, DATA_PERSONAL, ACT_HOUSEHOLD_LIST, &h_household_pending},
    {"POST",   "/v1/household/{link}/confirm",       OFFICER,            1024,    LIMIT_NONE,         DATA_STATE,    ACT_HOUSEHOLD_CONFIRM, &h_household_confirm},
    {"GET",    "/v1/me/export",                      RESIDENT,           0,       LIMIT_NONE,         DATA_PERSONAL, ACT_EXPORT,         &h_me_export},

    {"GET",    "/officer",                           ANY,                0,       LIMIT_NONE,         DATA_PUBLIC,   ACT_NONE,           &h_page},
    {"GET",    "/v1/officer/actions",                OFFICER,            0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_officer_actions},

    /* The log as C2SP tlog-tiles (h_tiles.c). The entries row comes first:
     * the tile row's {tile*} would match its paths too. */
    {"GET",    "/log/checkpoint",                    ANY,                0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_log_checkpoint},
    {"GET",    "/log/tile/entries/{bundle*}",        AUDITOR,            0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_log_entries},
    {"GET",    "/log/tile/{tile*}",                  ANY,                0,       LIMIT_NONE,         DATA_LOG,      ACT_NONE,           &h_log_tile},
};
/* clang-format on */

const size_t n_routes = AK_ARRAY_LEN(routes);
