/* test-jwt.c: HS256 tokens, strict parsing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kantor-jwt.h"
#include "kantor-password.h"

static const guint8 secret[] = "0123456789abcdef0123456789abcdef-test-secret";
#define SECRET_LEN (sizeof secret - 1)
#define NOW 1764000000

static KantorJwtClaims *
make_claims (KantorJwtType typ)
{
  KantorJwtClaims *claims = kantor_jwt_claims_new ();
  const char *permissions[] = { "read", "trade", NULL };

  claims->sub = g_strdup ("5f1c7a1e-0000-4000-8000-000000000001");
  claims->username = g_strdup ("alice");
  claims->permissions = g_strdupv ((char **) permissions);
  claims->typ = typ;
  claims->iat = NOW;
  claims->exp = NOW + 3600;
  claims->jti = g_strdup ("0f0e0d0c0b0a09080706050403020100");
  return claims;
}

static char *
b64 (const char *text)
{
  return kantor_base64url_encode ((const guint8 *) text, strlen (text));
}

/* Builds a token by hand, signed independently of the code under test with
 * @md (NULL: no signature at all). */
static char *
forge (const char   *header,
       const char   *payload,
       gsize         payload_length,
       const EVP_MD *md)
{
  g_autofree char *h = b64 (header);
  g_autofree char *p = kantor_base64url_encode ((const guint8 *) payload, payload_length);
  g_autofree char *input = g_strconcat (h, ".", p, NULL);
  g_autofree char *sig = NULL;
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;

  if (md == NULL)
    return g_strconcat (input, ".", NULL);

  g_assert_nonnull (HMAC (md, secret, SECRET_LEN, (const guint8 *) input, strlen (input),
                          mac, &mac_length));
  sig = kantor_base64url_encode (mac, mac_length);
  return g_strconcat (input, ".", sig, NULL);
}

static char *
forge_payload (const char *payload)
{
  return forge ("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, strlen (payload), EVP_sha256 ());
}

static const char good_payload[] =
  "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"alice\",\"permissions\":[\"read\"],"
  "\"typ\":\"access\",\"iat\":1764000000,\"exp\":1764003600,\"jti\":\"j1\"}";

static void
assert_rejected (const char     *token,
                 KantorJwtError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorJwtClaims) claims = NULL;

  claims = kantor_jwt_verify (secret, SECRET_LEN, token, KANTOR_JWT_ACCESS, NOW, &error);
  g_assert_null (claims);
  g_assert_error (error, KANTOR_JWT_ERROR, (gint) code);
}

static void
test_round_trip (void)
{
  g_autoptr(KantorJwtClaims) in = make_claims (KANTOR_JWT_ACCESS);
  g_autoptr(KantorJwtClaims) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = kantor_jwt_encode (secret, SECRET_LEN, in);
  g_autofree guint8 *header = NULL;
  g_auto(GStrv) parts = NULL;
  gsize header_length = 0;

  g_assert_nonnull (token);
  g_assert_true (kantor_jwt_looks_like_jwt (token));

  /* The header says HS256, in the first segment. */
  parts = g_strsplit (token, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  header = kantor_base64url_decode (parts[0], strlen (parts[0]), &header_length);
  g_assert_nonnull (header);
  g_assert_cmpmem (header, header_length, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);

  out = kantor_jwt_verify (secret, SECRET_LEN, token, KANTOR_JWT_ACCESS, NOW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpstr (out->sub, ==, in->sub);
  g_assert_cmpstr (out->username, ==, "alice");
  g_assert_cmpstrv (out->permissions, in->permissions);
  g_assert_cmpint (out->typ, ==, KANTOR_JWT_ACCESS);
  g_assert_cmpint (out->iat, ==, NOW);
  g_assert_cmpint (out->exp, ==, NOW + 3600);
  g_assert_cmpstr (out->jti, ==, in->jti);

  /* A token forged by an independent HMAC verifies too. */
  {
    g_autofree char *forged = forge_payload (good_payload);
    g_autoptr(KantorJwtClaims) c = kantor_jwt_verify (secret, SECRET_LEN, forged,
                                                      KANTOR_JWT_ACCESS, NOW, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (c->sub, ==, "u1");
  }
}

/* RFC 7519 §3.1: a real HS256 token from elsewhere. Its signature is valid
 * under its key, so it fails only on our claims (iss is "joe"). */
static void
test_rfc7519_example (void)
{
  static const char token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19y"
    "b290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  static const char key64[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
  g_autofree guint8 *key = NULL;
  g_autoptr(GError) error = NULL;
  gsize key_length = 0;

  key = kantor_base64url_decode (key64, strlen (key64), &key_length);
  g_assert_nonnull (key);
  g_assert_cmpuint (key_length, ==, 64);

  g_assert_null (kantor_jwt_verify (key, key_length, token, KANTOR_JWT_ACCESS, 0, &error));
  g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_CLAIMS);
  g_clear_error (&error);

  key[0] ^= 1;
  g_assert_null (kantor_jwt_verify (key, key_length, token, KANTOR_JWT_ACCESS, 0, &error));
  g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_SIGNATURE);
}

static void
test_algorithms (void)
{
  g_autofree char *none = forge ("{\"alg\":\"none\",\"typ\":\"JWT\"}", good_payload,
                                 strlen (good_payload), NULL);
  g_autofree char *none_signed = forge ("{\"alg\":\"none\"}", good_payload,
                                        strlen (good_payload), EVP_sha256 ());
  g_autofree char *hs512 = forge ("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", good_payload,
                                  strlen (good_payload), EVP_sha512 ());
  g_autofree char *lower = forge ("{\"alg\":\"hs256\"}", good_payload, strlen (good_payload),
                                  EVP_sha256 ());
  g_autofree char *no_alg = forge ("{\"typ\":\"JWT\"}", good_payload, strlen (good_payload),
                                   EVP_sha256 ());
  g_autofree char *alg_number = forge ("{\"alg\":256}", good_payload, strlen (good_payload),
                                       EVP_sha256 ());
  g_autofree char *bad_typ = forge ("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", good_payload,
                                    strlen (good_payload), EVP_sha256 ());
  g_autofree char *crit = forge ("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", good_payload,
                                 strlen (good_payload), EVP_sha256 ());
  g_autofree char *no_typ = forge ("{\"alg\":\"HS256\"}", good_payload, strlen (good_payload),
                                   EVP_sha256 ());
  g_autoptr(KantorJwtClaims) ok = NULL;

  assert_rejected (none, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (none_signed, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (hs512, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (lower, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (no_alg, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (alg_number, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (bad_typ, KANTOR_JWT_ERROR_ALGORITHM);
  assert_rejected (crit, KANTOR_JWT_ERROR_ALGORITHM);

  /* typ is optional. */
  ok = kantor_jwt_verify (secret, SECRET_LEN, no_typ, KANTOR_JWT_ACCESS, NOW, NULL);
  g_assert_nonnull (ok);
}

static void
test_bad_signature (void)
{
  g_autoptr(KantorJwtClaims) claims = make_claims (KANTOR_JWT_ACCESS);
  g_autofree char *token = kantor_jwt_encode (secret, SECRET_LEN, claims);
  g_autofree char *other = NULL;
  g_autofree char *flipped = g_strdup (token);
  g_autofree char *short_sig = NULL;
  g_autofree char *long_sig = NULL;
  g_autofree char *payload_swapped = NULL;
  g_autofree char *other_payload = NULL;
  static const guint8 other_secret[] = "another-secret-of-at-least-32-bytes!!";
  char *last = strrchr (flipped, '.') + 1;
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_auto(GStrv) forged_parts = NULL;

  other = kantor_jwt_encode (other_secret, sizeof other_secret - 1, claims);
  assert_rejected (other, KANTOR_JWT_ERROR_SIGNATURE);

  last[3] = last[3] == 'A' ? 'B' : 'A';
  assert_rejected (flipped, KANTOR_JWT_ERROR_SIGNATURE);

  /* Signatures of the wrong length, still valid base64url. */
  short_sig = g_strdup_printf ("%s.%s.%.40s", parts[0], parts[1], parts[2]);
  long_sig = g_strdup_printf ("%s.%s.%sAAAA", parts[0], parts[1], parts[2]);
  assert_rejected (short_sig, KANTOR_JWT_ERROR_SIGNATURE);
  assert_rejected (long_sig, KANTOR_JWT_ERROR_SIGNATURE);

  /* A payload from another token under this token's signature. */
  other_payload = forge_payload (good_payload);
  forged_parts = g_strsplit (other_payload, ".", -1);
  payload_swapped = g_strdup_printf ("%s.%s.%s", parts[0], forged_parts[1], parts[2]);
  assert_rejected (payload_swapped, KANTOR_JWT_ERROR_SIGNATURE);
}

static void
test_expiry (void)
{
  g_autoptr(KantorJwtClaims) claims = make_claims (KANTOR_JWT_ACCESS);
  g_autoptr(KantorJwtClaims) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = kantor_jwt_encode (secret, SECRET_LEN, claims);

  out = kantor_jwt_verify (secret, SECRET_LEN, token, KANTOR_JWT_ACCESS, claims->exp - 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);

  g_assert_null (kantor_jwt_verify (secret, SECRET_LEN, token, KANTOR_JWT_ACCESS, claims->exp,
                                    &error));
  g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_EXPIRED);
  g_clear_error (&error);

  g_assert_null (kantor_jwt_verify (secret, SECRET_LEN, token, KANTOR_JWT_ACCESS,
                                    claims->exp + 86400, &error));
  g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_EXPIRED);
}

static void
test_wrong_type (void)
{
  g_autoptr(KantorJwtClaims) access = make_claims (KANTOR_JWT_ACCESS);
  g_autoptr(KantorJwtClaims) refresh = make_claims (KANTOR_JWT_REFRESH);
  g_autofree char *access_token = kantor_jwt_encode (secret, SECRET_LEN, access);
  g_autofree char *refresh_token = kantor_jwt_encode (secret, SECRET_LEN, refresh);
  g_autofree char *weird = forge_payload (
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"alice\",\"permissions\":[],"
    "\"typ\":\"id\",\"iat\":1764000000,\"exp\":1764003600,\"jti\":\"j1\"}");
  g_autoptr(KantorJwtClaims) out = NULL;
  g_autoptr(GError) error = NULL;

  assert_rejected (refresh_token, KANTOR_JWT_ERROR_WRONG_TYPE);

  g_assert_null (kantor_jwt_verify (secret, SECRET_LEN, access_token, KANTOR_JWT_REFRESH, NOW,
                                    &error));
  g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_WRONG_TYPE);
  g_clear_error (&error);

  out = kantor_jwt_verify (secret, SECRET_LEN, refresh_token, KANTOR_JWT_REFRESH, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpint (out->typ, ==, KANTOR_JWT_REFRESH);

  assert_rejected (weird, KANTOR_JWT_ERROR_CLAIMS);
}

static void
test_truncated (void)
{
  g_autoptr(KantorJwtClaims) claims = make_claims (KANTOR_JWT_ACCESS);
  g_autofree char *token = kantor_jwt_encode (secret, SECRET_LEN, claims);
  gsize length = strlen (token);

  /* Every proper prefix is refused, with some error and no crash. */
  for (gsize n = 0; n < length; n++)
    {
      g_autofree char *prefix = g_strndup (token, n);
      g_autoptr(GError) error = NULL;

      g_assert_null (kantor_jwt_verify (secret, SECRET_LEN, prefix, KANTOR_JWT_ACCESS, NOW,
                                        &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == KANTOR_JWT_ERROR);
    }

  /* Cut inside the signature, still well-formed base64url (40 digits):
   * a signature of the wrong length. */
  {
    g_autofree char *cut = g_strndup (token, length - 3);
    g_autoptr(GError) error = NULL;

    g_assert_null (kantor_jwt_verify (secret, SECRET_LEN, cut, KANTOR_JWT_ACCESS, NOW, &error));
    g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_SIGNATURE);
  }

  assert_rejected (NULL, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected ("", KANTOR_JWT_ERROR_MALFORMED);
}

static void
test_segments (void)
{
  g_autofree char *token = forge_payload (good_payload);
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree char *two = g_strdup_printf ("%s.%s", parts[0], parts[1]);
  g_autofree char *four = g_strdup_printf ("%s.%s.%s.%s", parts[0], parts[1], parts[2], parts[2]);
  g_autofree char *empty_payload = g_strdup_printf ("%s..%s", parts[0], parts[2]);
  g_autofree char *trailing_dot = g_strdup_printf ("%s.", token);

  assert_rejected (two, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (four, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (trailing_dot, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected ("..", KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected ("abc", KANTOR_JWT_ERROR_MALFORMED);
  /* The signature is checked before the payload is parsed. */
  assert_rejected (empty_payload, KANTOR_JWT_ERROR_SIGNATURE);
}

static void
test_oversize (void)
{
  g_autofree char *garbage = g_malloc (10 * 1024 + 1);
  g_autoptr(GString) big_payload = g_string_new ("{\"iss\":\"kantor\",\"pad\":\"");
  g_autofree char *big = NULL;
  g_autofree char *fits = NULL;
  g_autoptr(KantorJwtClaims) ok = NULL;

  for (gsize i = 0; i < 10 * 1024; i++)
    garbage[i] = (char) (32 + g_test_rand_int_range (0, 95));
  garbage[10 * 1024] = '\0';
  assert_rejected (garbage, KANTOR_JWT_ERROR_MALFORMED);

  memset (garbage, 'A', 10 * 1024);
  garbage[100] = '.';
  garbage[200] = '.';
  assert_rejected (garbage, KANTOR_JWT_ERROR_MALFORMED);

  /* A correctly signed token just over the cap is refused unread; one
   * just under it is accepted. */
  g_string_append (big_payload, "x");
  while (big_payload->len < 6200)
    g_string_append_c (big_payload, 'x');
  g_string_append (big_payload,
                   "\",\"sub\":\"u1\",\"username\":\"alice\",\"permissions\":[],"
                   "\"typ\":\"access\",\"iat\":1764000000,\"exp\":1764003600,\"jti\":\"j1\"}");
  big = forge_payload (big_payload->str);
  g_assert_cmpuint (strlen (big), >, KANTOR_JWT_MAX_LENGTH);
  assert_rejected (big, KANTOR_JWT_ERROR_MALFORMED);

  g_string_erase (big_payload, 100, 600);
  fits = forge_payload (big_payload->str);
  g_assert_cmpuint (strlen (fits), <=, KANTOR_JWT_MAX_LENGTH);
  ok = kantor_jwt_verify (secret, SECRET_LEN, fits, KANTOR_JWT_ACCESS, NOW, NULL);
  g_assert_nonnull (ok);
}

static void
test_invalid_base64url (void)
{
  g_autofree char *token = forge_payload (good_payload);
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree char *padded = g_strdup_printf ("%s=.%s.%s", parts[0], parts[1], parts[2]);
  g_autofree char *std_alphabet = g_strdup (token);
  g_autofree char *space = g_strdup_printf ("%s .%s.%s", parts[0], parts[1], parts[2]);
  g_autofree char *sig_plus = g_strdup_printf ("%s.%s.%s+", parts[0], parts[1], parts[2]);

  std_alphabet[2] = '+';
  assert_rejected (padded, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (std_alphabet, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (space, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (sig_plus, KANTOR_JWT_ERROR_MALFORMED);
}

static void
test_header_not_object (void)
{
  static const char * const headers[] = {
    "[\"HS256\"]", "\"HS256\"", "42", "null", "{\"alg\":\"HS256\"", "{\"alg\":\"HS256\"}x", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *token = forge (headers[i], good_payload, strlen (good_payload),
                                      EVP_sha256 ());

      assert_rejected (token, KANTOR_JWT_ERROR_MALFORMED);
    }

  /* A payload that is valid JSON but not an object, signed properly. */
  {
    g_autofree char *token = forge_payload ("[1,2,3]");

    assert_rejected (token, KANTOR_JWT_ERROR_MALFORMED);
  }
}

static void
test_non_utf8 (void)
{
  /* Latin-1 'é' (0xe9) inside a string, and an embedded NUL. */
  static const char latin1[] =
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"al\xe9\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1764000000,\"exp\":1764003600,\"jti\":\"j1\"}";
  static const char with_nul[] =
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"alice\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1764000000,\"exp\":1764003600,\"jti\":\"j1\"}\0garbage";
  g_autofree char *t1 = forge ("{\"alg\":\"HS256\"}", latin1, strlen (latin1), EVP_sha256 ());
  g_autofree char *t2 = forge ("{\"alg\":\"HS256\"}", with_nul, sizeof with_nul - 1,
                               EVP_sha256 ());
  g_autofree char *t3 = forge ("{\"alg\":\"HS256\xff\"}", good_payload, strlen (good_payload),
                               EVP_sha256 ());

  assert_rejected (t1, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (t2, KANTOR_JWT_ERROR_MALFORMED);
  assert_rejected (t3, KANTOR_JWT_ERROR_MALFORMED);
}

static void
test_missing_claims (void)
{
  static const char * const names[] = {
    "iss", "sub", "username", "permissions", "typ", "iat", "exp", "jti",
  };
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, good_payload, -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(JsonNode) copy = json_node_copy (json_parser_get_root (parser));
      g_autofree char *payload = NULL;
      g_autofree char *token = NULL;

      json_object_remove_member (json_node_get_object (copy), names[i]);
      payload = json_to_string (copy, FALSE);
      token = forge_payload (payload);
      assert_rejected (token, KANTOR_JWT_ERROR_CLAIMS);
    }
}

static void
test_claim_types (void)
{
  static const char * const payloads[] = {
    /* wrong iss */
    "{\"iss\":\"kantor2\",\"sub\":\"u1\",\"username\":\"a\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1,\"exp\":1764003600,\"jti\":\"j\"}",
    "{\"iss\":null,\"sub\":\"u1\",\"username\":\"a\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1,\"exp\":1764003600,\"jti\":\"j\"}",
    /* exp as a float and as a string */
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"a\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1,\"exp\":1764003600.5,\"jti\":\"j\"}",
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"a\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1,\"exp\":\"1764003600\",\"jti\":\"j\"}",
    /* permissions not all strings, not an array */
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"a\",\"permissions\":[\"read\",1],"
    "\"typ\":\"access\",\"iat\":1,\"exp\":1764003600,\"jti\":\"j\"}",
    "{\"iss\":\"kantor\",\"sub\":\"u1\",\"username\":\"a\",\"permissions\":\"admin\","
    "\"typ\":\"access\",\"iat\":1,\"exp\":1764003600,\"jti\":\"j\"}",
    /* empty subject */
    "{\"iss\":\"kantor\",\"sub\":\"\",\"username\":\"a\",\"permissions\":[],"
    "\"typ\":\"access\",\"iat\":1,\"exp\":1764003600,\"jti\":\"j\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      g_autofree char *token = forge_payload (payloads[i]);

      assert_rejected (token, KANTOR_JWT_ERROR_CLAIMS);
    }
}

static void
test_base64url (void)
{
  guint8 data[64];
  gsize length = 0;
  g_autofree guint8 *decoded = NULL;

  for (gsize n = 0; n <= sizeof data; n++)
    {
      g_autofree char *text = NULL;
      g_autofree guint8 *back = NULL;
      g_autofree char *std = NULL;

      for (gsize i = 0; i < n; i++)
        data[i] = (guint8) g_test_rand_int_range (0, 256);

      text = kantor_base64url_encode (data, n);
      g_assert_null (strpbrk (text, "+/="));
      /* Same digits as standard base64, minus padding and alphabet. */
      std = g_base64_encode (data, n);
      g_strdelimit (std, "+", '-');
      g_strdelimit (std, "/", '_');
      *strchrnul (std, '=') = '\0';
      g_assert_cmpstr (text, ==, std);

      back = kantor_base64url_decode (text, strlen (text), &length);
      g_assert_nonnull (back);
      g_assert_cmpmem (back, length, data, n);
    }

  /* "QQ" is 'A'; "QR" has a stray low bit. */
  decoded = kantor_base64url_decode ("QQ", 2, &length);
  g_assert_nonnull (decoded);
  g_assert_cmpmem (decoded, length, "A", 1);
  g_assert_null (kantor_base64url_decode ("QR", 2, &length));
  g_assert_null (kantor_base64url_decode ("Q", 1, &length));
  g_assert_null (kantor_base64url_decode ("QQ==", 4, &length));

  g_assert_true (kantor_jwt_looks_like_jwt ("a.b.c"));
  g_assert_false (kantor_jwt_looks_like_jwt ("alice"));
  g_assert_false (kantor_jwt_looks_like_jwt ("a.b"));
  g_assert_false (kantor_jwt_looks_like_jwt ("a.b.c.d"));
  g_assert_false (kantor_jwt_looks_like_jwt ("a.b.c="));
  g_assert_false (kantor_jwt_looks_like_jwt (""));
}

/* Random edits of a valid token: never a crash, and nothing but the
 * original itself is ever accepted (base64url is canonical, so no second
 * spelling of the same bytes gets through either). */
static void
test_mutations (void)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \"{}\xff";
  g_autoptr(KantorJwtClaims) claims = make_claims (KANTOR_JWT_ACCESS);
  g_autofree char *token = kantor_jwt_encode (secret, SECRET_LEN, claims);
  guint n_rounds = g_test_slow () ? 200000 : 5000;

  for (guint round = 0; round < n_rounds; round++)
    {
      g_autoptr(GString) mutated = g_string_new (token);
      g_autoptr(KantorJwtClaims) out = NULL;
      g_autoptr(GError) error = NULL;
      guint n_edits = (guint) g_test_rand_int_range (1, 4);

      for (guint e = 0; e < n_edits && mutated->len > 0; e++)
        {
          gsize at = (gsize) g_test_rand_int_range (0, (gint32) mutated->len);
          char c = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];

          switch (g_test_rand_int_range (0, 3))
            {
            case 0:
              mutated->str[at] = c;
              break;
            case 1:
              g_string_insert_c (mutated, (gssize) at, c);
              break;
            default:
              g_string_erase (mutated, (gssize) at, 1);
              break;
            }
        }

      out = kantor_jwt_verify (secret, SECRET_LEN, mutated->str, KANTOR_JWT_ACCESS, NOW, &error);
      if (out != NULL)
        g_assert_cmpstr (mutated->str, ==, token);
      else
        g_assert_true (error != NULL && error->domain == KANTOR_JWT_ERROR);
    }
}

static void
assert_hmac (const guint8 *key,
             gsize         key_length,
             const guint8 *data,
             gsize         length,
             const char   *expected_hex)
{
  guint8 mac[KANTOR_HMAC_SHA256_LENGTH];
  g_autoptr(GString) hex = g_string_new (NULL);

  g_assert_true (kantor_hmac_sha256 (key, key_length, data, length, mac));
  for (gsize i = 0; i < sizeof mac; i++)
    g_string_append_printf (hex, "%02x", mac[i]);
  g_assert_cmpstr (hex->str, ==, expected_hex);
}

/* RFC 4231 §4 (case 5, a truncated MAC, does not apply). */
static void
test_hmac_rfc4231 (void)
{
  static const char data6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
  static const char data7[] = "This is a test using a larger than block-size key and a larger "
                              "than block-size data. The key needs to be hashed before being "
                              "used by the HMAC algorithm.";
  guint8 key[131];
  guint8 data[50];

  memset (key, 0x0b, 20);
  assert_hmac (key, 20, (const guint8 *) "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

  assert_hmac ((const guint8 *) "Jefe", 4, (const guint8 *) "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  memset (key, 0xaa, 20);
  memset (data, 0xdd, 50);
  assert_hmac (key, 20, data, 50,
               "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

  for (guint i = 0; i < 25; i++)
    key[i] = (guint8) (i + 1);
  memset (data, 0xcd, 50);
  assert_hmac (key, 25, data, 50,
               "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

  memset (key, 0xaa, 131);
  assert_hmac (key, 131, (const guint8 *) data6, strlen (data6),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  assert_hmac (key, 131, (const guint8 *) data7, strlen (data7),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* Against OpenSSL's HMAC() over EVP: keys around the 64-byte block (longer
 * ones are hashed first), empty keys and messages, messages across SHA-256
 * block and padding boundaries. */
static void
test_hmac_openssl (void)
{
  for (guint round = 0; round < 400; round++)
    {
      gsize key_length = round < 140 ? round : (gsize) g_test_rand_int_range (0, 300);
      gsize length = round < 140 ? (gsize) g_test_rand_int_range (0, 200)
                                 : (gsize) g_test_rand_int_range (0, 5000);
      g_autofree guint8 *key = g_malloc (key_length + 1);
      g_autofree guint8 *data = g_malloc (length + 1);
      guint8 ours[KANTOR_HMAC_SHA256_LENGTH];
      guint8 theirs[EVP_MAX_MD_SIZE];
      unsigned int their_length = 0;

      for (gsize i = 0; i < key_length; i++)
        key[i] = (guint8) g_test_rand_int_range (0, 256);
      for (gsize i = 0; i < length; i++)
        data[i] = (guint8) g_test_rand_int_range (0, 256);

      g_assert_true (kantor_hmac_sha256 (key, key_length, data, length, ours));
      g_assert_nonnull (HMAC (EVP_sha256 (), key, (int) key_length, data, length, theirs,
                              &their_length));
      g_assert_cmpuint (their_length, ==, sizeof ours);
      g_assert_cmpmem (ours, sizeof ours, theirs, their_length);

      /* One flipped bit anywhere changes the MAC. */
      if (length > 0)
        {
          data[(gsize) g_test_rand_int_range (0, (gint32) length)] ^= 0x10;
          g_assert_true (kantor_hmac_sha256 (key, key_length, data, length, ours));
          g_assert_true (memcmp (ours, theirs, sizeof ours) != 0);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/api/jwt/round-trip", test_round_trip);
  g_test_add_func ("/kantor/api/jwt/rfc7519-example", test_rfc7519_example);
  g_test_add_func ("/kantor/api/jwt/algorithms", test_algorithms);
  g_test_add_func ("/kantor/api/jwt/bad-signature", test_bad_signature);
  g_test_add_func ("/kantor/api/jwt/expiry", test_expiry);
  g_test_add_func ("/kantor/api/jwt/wrong-type", test_wrong_type);
  g_test_add_func ("/kantor/api/jwt/truncated", test_truncated);
  g_test_add_func ("/kantor/api/jwt/segments", test_segments);
  g_test_add_func ("/kantor/api/jwt/oversize", test_oversize);
  g_test_add_func ("/kantor/api/jwt/invalid-base64url", test_invalid_base64url);
  g_test_add_func ("/kantor/api/jwt/header-not-object", test_header_not_object);
  g_test_add_func ("/kantor/api/jwt/non-utf8", test_non_utf8);
  g_test_add_func ("/kantor/api/jwt/missing-claims", test_missing_claims);
  g_test_add_func ("/kantor/api/jwt/claim-types", test_claim_types);
  g_test_add_func ("/kantor/api/jwt/base64url", test_base64url);
  g_test_add_func ("/kantor/api/jwt/mutations", test_mutations);
  g_test_add_func ("/kantor/api/jwt/hmac-rfc4231", test_hmac_rfc4231);
  g_test_add_func ("/kantor/api/jwt/hmac-openssl", test_hmac_openssl);

  return g_test_run ();
}
