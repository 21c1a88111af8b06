/* password.c - reading a simple-bind password from standard input or a
 * file: never from the command line, never echoed, bounded, not empty. */
#include "config.h"
#include "conn.h"
#include "conn-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads the first line of fd (at most CONN_PASSWORD_MAX bytes), without
 * stdio so that no buffer outside ours ever holds the password. */
static adpki_result
read_first_line(int fd, const char *what, char *buf, size_t size, adpki_error *err)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot read the password "
			                  "from %s: %s", what, strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n) != NULL || n == size - 1)
			break;
	}
	buf[n] = '\0';
	char *nl = memchr(buf, '\n', n);
	if (nl == NULL && n == size - 1) {
		explicit_bzero(buf, size);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the password in %s is longer "
		                  "than %d characters", what, CONN_PASSWORD_MAX);
	}
	if (nl != NULL)
		*nl = '\0';
	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	/* Wipe whatever followed the first line. */
	explicit_bzero(buf + len, size - len);
	if (len == 0)
		/* An empty password makes a simple bind anonymous on AD. */
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the password in %s is empty",
		                  what);
	return ADPKI_OK;
}

adpki_result
conn_read_password(const conn_options *o, char *buf, size_t size, adpki_error *err)
{
	adpki_result rc;

	if (o->stdin_password && o->password_file != NULL)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "give either --stdin-password or --password-file, not both");
	if (o->stdin_password) {
		/* Reading a terminal would echo the password: never prompt. */
		if (isatty(STDIN_FILENO))
			return adpki_fail(err, ADPKI_ERR_CONFIG, "--stdin-password: standard "
			                  "input is a terminal; pipe the password in or use "
			                  "--password-file");
		return read_first_line(STDIN_FILENO, "standard input", buf, size, err);
	}
	if (o->password_file != NULL) {
		int fd = open(o->password_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot open the password "
			                  "file %s: %s", o->password_file, strerror(errno));
		rc = read_first_line(fd, o->password_file, buf, size, err);
		close(fd);
		return rc;
	}
	return adpki_fail(err, ADPKI_ERR_CONFIG, "a simple bind needs the password: "
	                  "give --stdin-password or --password-file");
}
