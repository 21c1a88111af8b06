/* result.c - the error carrier (see result.h). */
#include "config.h"
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

adpki_result
adpki_fail(adpki_error *err, adpki_result code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

adpki_result
adpki_fail_context(adpki_error *err, const char *fmt, ...)
{
	char prefix[512];
	char old[ADPKI_ERROR_MAX];
	va_list ap;

	if (err == NULL)
		return ADPKI_ERR_UNEXPECTED;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof old);
	/* A message that no longer fits is cut; say so rather than end mid-word
	 * silently (the length check also documents that the cut is expected). */
	if ((size_t)snprintf(err->message, sizeof err->message, "%s: %s", prefix, old)
	    >= sizeof err->message)
		memcpy(err->message + sizeof err->message - 4, "...", 4);
	return err->code;
}

adpki_result
adpki_fail_oom(adpki_error *err)
{
	return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "out of memory");
}
