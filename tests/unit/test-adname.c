/* test-adname.c - MS-WCCE sanitized names, RFC 4514 and RFC 4515 escaping.
 * Expected hashes were computed independently (a separate script following
 * MS-WCCE 3.1.1.4.1.1.1), not by this code. */
#include "config.h"

#include <stdlib.h>

#include "adname.h"
#include "tap.h"

static void
is_short(const char *in, const char *want, const char *what)
{
	char *got = adname_short_name(in);
	IS_STR(got, want, what);
	free(got);
}

static void
is_sanitized(const char *in, const char *want, const char *what)
{
	char *got = adname_sanitize(in);
	IS_STR(got, want, what);
	free(got);
}

static void
is_dn_escaped(const char *in, const char *want, const char *what)
{
	char *got = adname_dn_escape(in);
	IS_STR(got, want, what);
	free(got);
}

static void
test_sanitize(void)
{
	is_short("LongCAName(WithSpeci@#$%^Characters",
	         "LongCAName!0028WithSpeci@!0023$!0025!005eCharacters",
	         "MS-WCCE 1.3.2.5 example");
	is_sanitized("DigiCert Global Root G2", "DigiCert Global Root G2",
	             "space and letters/digits pass through");
	is_sanitized("a$-.@_~z", "a$-.@_~z", "allowed punctuation $ - . @ _ ~ and z");
	is_sanitized("!\"#%&'()*+,/:;<=>?[\\]^`{|}",
	             "!0021!0022!0023!0025!0026!0027!0028!0029!002a!002b!002c!002f!003a"
	             "!003b!003c!003d!003e!003f!005b!005c!005d!005e!0060!007b!007c!007d",
	             "every disallowed ASCII character is escaped");
	is_sanitized("a\tb\x7f" "c", "a!0009b!007fc", "control characters and DEL escaped");
	is_sanitized("Z\xc3\xbcrich CA", "Z!00fcrich CA", "non-ASCII as UTF-16 code unit");
	is_sanitized("emoji \xf0\x9f\x98\x80", "emoji !d83d!de00", "outside the BMP: both surrogates");
	is_sanitized("bad\xff" "byte", "bad!fffdbyte", "invalid UTF-8 becomes U+FFFD");
	is_sanitized("over\xc0\xaflong", "over!fffd!fffdlong", "overlong UTF-8 refused");
	is_sanitized("Evil,CN=NTAuthCertificates", "Evil!002cCN!003dNTAuthCertificates",
	             "DN syntax characters cannot survive sanitizing");
	is_sanitized("line\ndn: x", "line!000adn!003a x", "newline cannot survive sanitizing");
}

static void
test_short_name(void)
{
	is_short("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-33215",
	         "60 characters: cut to 51 plus hash");
	is_short("Contoso Enterprise Issuing Certification Authority Two",
	         "Contoso Enterprise Issuing Certification Authority -00685",
	         "54 characters: cut to 51 plus hash");
	is_short("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	         "exactly 51 characters: unchanged");
	is_short("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx#y",
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-02631",
	         "escape cut in half is dropped whole");
	is_short("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx#yz",
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-05384",
	         "escape cut after two digits is dropped whole");
	{
		char *s = adname_short_name("\xe4\xb8\xad\xe6\x96\x87\xe8\xaf\x81\xe4\xb9\xa6"
		                            "\xe9\xa2\x81\xe5\x8f\x91\xe6\x9c\xba\xe6\x9e\x84"
		                            "\xe6\xa0\xb9\xe8\xaf\x81\xe4\xb9\xa6");
		OK(s != NULL && strlen(s) <= 57, "short names never exceed 57 characters");
		free(s);
	}
	IS_INT(adname_hash("", 0), 0, "hash of nothing is 0");
	IS_INT(adname_hash("A", 1), 65, "hash of one character is its code");
	IS_INT(adname_hash("AB", 2), 65 * 2 + 66, "hash rotates left then adds");
	IS_INT(adname_hash("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 17) < 65536,
	       1, "hash stays 16 bits");
}

static void
test_dn_escape(void)
{
	is_dn_escaped("plain name", "plain name", "nothing to escape");
	is_dn_escaped("Evil,CN=NTAuthCertificates", "Evil\\,CN\\=NTAuthCertificates",
	              "comma and equals escaped");
	is_dn_escaped("a+b\"c\\d<e>f;g", "a\\+b\\\"c\\\\d\\<e\\>f\\;g", "RFC 4514 specials");
	is_dn_escaped("#lead", "\\#lead", "leading # escaped");
	is_dn_escaped("mid#dle", "mid#dle", "inner # not escaped");
	is_dn_escaped(" both ", "\\ both\\ ", "leading and trailing spaces escaped");
	is_dn_escaped("line\ndn: x", "line\\0Adn: x", "newline as hex pair");
}

static void
test_filter_escape(void)
{
	const unsigned char v[] = { 'a', '*', '(', ')', '\\', 0, 0xc3, 0xbc };
	char *got = adname_filter_escape(v, sizeof v);
	IS_STR(got, "a\\2a\\28\\29\\5c\\00\\c3\\bc", "RFC 4515 specials, NUL and 8-bit escaped");
	free(got);
}

int
main(void)
{
	test_sanitize();
	test_short_name();
	test_dn_escape();
	test_filter_escape();
	return tap_done();
}
