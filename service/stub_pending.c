/*
 * TEMPORARY scaffolding so that `ankangd serve` links while the handlers
 * are written: each helper deletes the lines of the handlers it implements
 * (one line each, below), and the last one deletes this file. Never
 * committed.
 */
#include "service/lists.h"
#include "service/routes.h"
#define PENDING(name)                                                                              \
	int name(struct http_request *rq)                                                          \
	{                                                                                          \
		return http_error(rq, 501, "not_implemented", "pending");                          \
	}
PENDING(h_enroll)
PENDING(h_login)
PENDING(h_me_code)
PENDING(h_me_code_png)
PENDING(h_me_code_svg)
PENDING(h_me_accesses)
PENDING(h_me_history)
PENDING(h_me_erase)
PENDING(h_resident_status)
PENDING(h_paper_code)
PENDING(h_lookup)
PENDING(h_verify)
PENDING(h_scans)
PENDING(h_trust)
PENDING(h_revocations)
PENDING(h_audit_checkpoint)
PENDING(h_audit_entries)
PENDING(h_audit_inclusion)
PENDING(h_audit_consistency)
int lists_open(struct lists **out, struct server *srv) { (void)srv; *out = NULL; return 0; }
void lists_close(struct lists *l) { (void)l; }
