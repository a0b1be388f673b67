/* Whether the running kernel knows a map, program or attach type, read from the enumerators of enum bpf_map_type,
 * bpf_prog_type and bpf_attach_type in its BTF: a kernel that predates a type has no enumerator for it. This tells
 * "the kernel has no such type" apart from a refusal for another reason (memory, attributes, permissions). */
#define _GNU_SOURCE
#include "validator.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

/* present | missing | inconclusive (no kernel BTF, or the enum itself is absent) */
static const char *enum_status(const struct btf *btf, const char *enum_name, const char *enumerator)
{
	bool found_enum = false;
	__u32 n;

	if (!btf)
		return "inconclusive";
	n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_enum(t) && !btf_is_enum64(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || strcmp(name, enum_name) != 0)
			continue;
		found_enum = true;
		for (int i = 0; i < btf_vlen(t); i++) {
			__u32 off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
			const char *e = btf__name_by_offset(btf, off);

			if (e && strcmp(e, enumerator) == 0)
				return "present";
		}
	}
	return found_enum ? "missing" : "inconclusive";
}

/* "tcx_ingress" (libbpf's name) → "BPF_TCX_INGRESS" (the kernel's enumerator): libbpf derives its names from
 * the UAPI enumerators by dropping the prefix and lower-casing. */
static char *enumerator_of(const char *prefix, const char *lower)
{
	char *s = xasprintf("%s%s", prefix, lower);

	for (char *p = s + strlen(prefix); *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

static const char *cached_enum_status(struct btf **btf, bool *loaded, const char *enum_name, const char *prefix, const char *lower)
{
	char *enumerator, *key;
	const char *status;

	if (!lower || !*lower)
		return "";
	enumerator = enumerator_of(prefix, lower);
	key = xasprintf("enum:%s", enumerator);
	status = probe_cache_get(key);
	if (status) {
		status = strcmp(status, "present") == 0 ? "present" : strcmp(status, "missing") == 0 ? "missing" : "inconclusive";
	} else {
		if (!*loaded) {
			*btf = btf__load_vmlinux_btf();
			*loaded = true;
		}
		status = enum_status(*btf, enum_name, enumerator);
		probe_cache_put(key, status);
	}
	free(key);
	free(enumerator);
	return status;
}

/* For each refused map and each program whose load or attach failed: does this kernel know the type at all?
 * Runs only when something failed, so a passing object never pays for parsing the kernel's BTF. */
void explain_refusals(struct evidence *ev)
{
	struct btf *btf = NULL;
	bool loaded = !ev->kernel_btf_available;

	liblog_mute(true);
	for (int i = 0; i < ev->n_maps; i++) {
		struct map_ev *m = &ev->maps[i];

		m->type_in_kernel = m->create == OUT_FAIL ? cached_enum_status(&btf, &loaded, "bpf_map_type", "BPF_MAP_TYPE_", m->type) : "";
	}
	for (int i = 0; i < ev->n_programs; i++) {
		struct program_ev *p = &ev->programs[i];
		bool attach_failed = p->attach.status == OUT_FAIL || p->attach.status == OUT_WARN;

		p->attach_type_in_kernel = attach_failed ? cached_enum_status(&btf, &loaded, "bpf_attach_type", "BPF_", p->expected_attach_type) : "";
		p->prog_type_in_kernel = p->trial.status == OUT_FAIL ? cached_enum_status(&btf, &loaded, "bpf_prog_type", "BPF_PROG_TYPE_", p->type) : "";
	}
	btf__free(btf);
	liblog_mute(false);
}
