/* A plain libbpf loader, the way a project's own loader would be written: open the object, load it, attach every
 * program libbpf can auto-attach, report. It shares nothing with the validator but libbpf, so tests use it as the
 * ground truth a validator verdict must agree with. Exit: 0 loaded, 2 the load failed, 1 bad usage. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT.bpf.o\n", argv[0]);
		return 1;
	}
	libbpf_set_print(quiet);
	setrlimit(RLIMIT_MEMLOCK, &inf);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		printf("open failed: %s\n", strerror(errno));
		return 2;
	}
	err = bpf_object__load(obj);
	if (err) {
		printf("load failed: %s\n", strerror(-err));
		bpf_object__close(obj);
		return 2;
	}
	printf("load ok\n");
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link = bpf_program__attach(prog);

		printf("attach %s: %s\n", bpf_program__name(prog), link ? "ok" : strerror(errno));
		bpf_link__destroy(link);
	}
	bpf_object__close(obj);
	return 0;
}
