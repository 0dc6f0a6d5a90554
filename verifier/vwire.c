/*
 * vwire: the verifier endpoints' JSON bodies, built and parsed with
 * jansson (see vwire.h).
 */
#include "verifier/vwire.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"

static json_t *load(const char *body, size_t len)
{
	json_error_t err;

	return json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
}

/* Dumps j (stolen) into a malloc'd string. */
static int dump(json_t *j, char **out, size_t *outlen)
{
	char *s;

	if (j == NULL)
		return AK_ENOMEM;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return AK_ENOMEM;
	*out = s;
	*outlen = strlen(s);
	return 0;
}

int vwire_verify_body(char **out, size_t *outlen, const char *text, size_t len)
{
	*out = NULL;
	*outlen = 0;
	if (len == 0 || len > CRED_TEXT_MAX)
		return AK_EINVAL;
	for (size_t i = 0; i < len; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return AK_EINVAL;
	return dump(json_pack("{s:s%}", "credential", text, len), out, outlen);
}

int vwire_parse_verdict(struct vwire_verdict *v, const char *body, size_t len)
{
	json_t *root, *jr, *jn, *js;
	int r, st, rc = AK_EINVAL;
	size_t nlen;

	memset(v, 0, sizeof *v);
	if ((root = load(body, len)) == NULL)
		return AK_EINVAL;
	jr = json_object_get(root, "result");
	jn = json_object_get(root, "name");
	js = json_object_get(root, "status");
	if (!json_is_object(root) || !json_is_string(jr))
		goto done;
	if (json_object_size(root) != (size_t)1 + (jn != NULL) + (js != NULL))
		goto done; /* a key the API does not have */
	if ((r = cred_result_parse(json_string_value(jr), json_string_length(jr))) < 0)
		goto done;
	v->result = (enum cred_result)r;
	if (jn == NULL && js == NULL) {
		rc = 0;
		goto done;
	}
	/* A name only for a result that shows data; a status only with a
	 * name, and left out only for superseded (docs/API.md, verify). */
	if (jn == NULL || !cred_result_shows_data(v->result) || !json_is_string(jn))
		goto done;
	if (js == NULL && v->result != CRED_SUPERSEDED)
		goto done;
	if (js != NULL) {
		if (!json_is_string(js) ||
		    (st = cred_status_parse(json_string_value(js), json_string_length(js))) < 0)
			goto done;
		v->status = (enum cred_status)st;
		v->has_status = 1;
	}
	nlen = json_string_length(jn);
	if (!cred_name_valid(json_string_value(jn), nlen) ||
	    memchr(json_string_value(jn), '\0', nlen) != NULL)
		goto done;
	memcpy(v->name, json_string_value(jn), nlen);
	v->name[nlen] = '\0';
	v->has_name = 1;
	rc = 0;
done:
	json_decref(root);
	if (rc != 0)
		memset(v, 0, sizeof *v);
	return rc;
}

int vwire_scans_body(char **out, size_t *outlen, const struct spool_scan *s, size_t n)
{
	json_t *arr, *root;

	*out = NULL;
	*outlen = 0;
	if (n == 0 || n > VWIRE_SCANS_PAGE)
		return AK_EINVAL;
	if ((arr = json_array()) == NULL)
		return AK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char cti[2 * CRED_CTI_BYTES + 1], sig[2 * CRED_SIG_BYTES + 1];
		json_t *o;

		if (s[i].result == CRED_SUPERSEDED || (unsigned)s[i].result >= CRED_RESULT_COUNT ||
		    s[i].time > (uint64_t)INT64_MAX || (s[i].has_sig && !s[i].has_cti)) {
			json_decref(arr);
			return AK_EINVAL;
		}
		if (s[i].has_cti)
			util_hex_encode(cti, s[i].cti, CRED_CTI_BYTES);
		o = json_pack("{s:s, s:o, s:I, s:s}", "id", s[i].id, "cti",
			      s[i].has_cti ? json_string(cti) : json_null(), "time",
			      (json_int_t)s[i].time, "result", cred_result_word(s[i].result));
		/* The key is left out, not null, when there is no signature:
		 * a scan of an old spool line, or of a code that did not verify. */
		if (o != NULL && s[i].has_sig) {
			util_hex_encode(sig, s[i].sig, CRED_SIG_BYTES);
			if (json_object_set_new(o, "sig", json_string(sig)) != 0) {
				json_decref(o);
				o = NULL;
			}
		}
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return AK_ENOMEM;
		}
	}
	if ((root = json_pack("{s:o}", "scans", arr)) == NULL)
		return AK_ENOMEM;
	return dump(root, out, outlen);
}

int vwire_parse_scans_answer(const char *body, size_t len, uint64_t *accepted, uint64_t *duplicates)
{
	json_t *root, *ja, *jd;
	int rc = AK_EINVAL;

	*accepted = *duplicates = 0;
	if ((root = load(body, len)) == NULL)
		return AK_EINVAL;
	ja = json_object_get(root, "accepted");
	jd = json_object_get(root, "duplicates");
	if (json_is_object(root) && json_is_integer(ja) && json_is_integer(jd) &&
	    json_integer_value(ja) >= 0 && json_integer_value(jd) >= 0) {
		*accepted = (uint64_t)json_integer_value(ja);
		*duplicates = (uint64_t)json_integer_value(jd);
		rc = 0;
	}
	json_decref(root);
	return rc;
}
