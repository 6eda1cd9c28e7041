/*
 * idlc command line:
 *
 *   idlc [-o DIR] FILE.idl     writes DIR/<module>_common.h, _linux.c, _domain.c
 *   idlc --check FILE.idl      parses and checks only
 *
 * Exit status 0 on success, 1 on an error in the IDL (reported as
 * file:line: error: ...), 2 on a usage or I/O error.
 */
#include <stdlib.h>
#include <string.h>

#include "idlc.h"

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f) {
		perror(path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		fclose(f);
		return NULL;
	}
	buf = idl_xalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int usage(void)
{
	fprintf(stderr, "usage: idlc [-o DIR] FILE.idl\n       idlc --check FILE.idl\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dir = ".", *file = NULL;
	bool check_only = false;
	struct module *m;
	char *text;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check_only = true;
		else if (argv[i][0] == '-' || file)
			return usage();
		else
			file = argv[i];
	}
	if (!file)
		return usage();
	text = read_file(file);
	if (!text)
		return 2;
	m = idl_xalloc(sizeof(*m));
	if (idl_parse(file, text, m) != 0 || idl_check(m) != 0)
		rc = 1;
	else if (!check_only && idl_generate(m, dir) != 0)
		rc = 2;
	idl_free_all();
	return rc;
}
