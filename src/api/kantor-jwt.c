/* kantor-jwt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include "kantor-jwt.h"
#include "kantor-password.h"

#define SIGNATURE_LENGTH KANTOR_HMAC_SHA256_LENGTH

/* Fixed, so that every token we issue has the same header bytes:
 * {"alg":"HS256","typ":"JWT"} in base64url. */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

G_DEFINE_QUARK (kantor-jwt-error-quark, kantor_jwt_error)

KantorJwtClaims *
kantor_jwt_claims_new (void)
{
  return g_new0 (KantorJwtClaims, 1);
}

void
kantor_jwt_claims_free (KantorJwtClaims *claims)
{
  if (claims == NULL)
    return;

  g_free (claims->sub);
  g_free (claims->username);
  g_strfreev (claims->permissions);
  g_free (claims->jti);
  g_free (claims);
}

static const char b64url_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

char *
kantor_base64url_encode (const guint8 *data,
                         gsize         length)
{
  GString *out = g_string_sized_new ((length * 4) / 3 + 4);
  gsize i;

  for (i = 0; i + 2 < length; i += 3)
    {
      guint32 v = ((guint32) data[i] << 16) | ((guint32) data[i + 1] << 8) | data[i + 2];

      g_string_append_c (out, b64url_alphabet[(v >> 18) & 63]);
      g_string_append_c (out, b64url_alphabet[(v >> 12) & 63]);
      g_string_append_c (out, b64url_alphabet[(v >> 6) & 63]);
      g_string_append_c (out, b64url_alphabet[v & 63]);
    }

  if (length - i == 1)
    {
      guint32 v = (guint32) data[i] << 16;

      g_string_append_c (out, b64url_alphabet[(v >> 18) & 63]);
      g_string_append_c (out, b64url_alphabet[(v >> 12) & 63]);
    }
  else if (length - i == 2)
    {
      guint32 v = ((guint32) data[i] << 16) | ((guint32) data[i + 1] << 8);

      g_string_append_c (out, b64url_alphabet[(v >> 18) & 63]);
      g_string_append_c (out, b64url_alphabet[(v >> 12) & 63]);
      g_string_append_c (out, b64url_alphabet[(v >> 6) & 63]);
    }

  return g_string_free (out, FALSE);
}

guint8 *
kantor_base64url_decode (const char *text,
                         gsize       text_length,
                         gsize      *out_length)
{
  g_autofree guint8 *out = NULL;
  guint32 acc = 0;
  guint bits = 0;
  gsize n = 0;

  g_return_val_if_fail (text != NULL || text_length == 0, NULL);

  /* One leftover character carries only 6 bits: never a whole byte. */
  if (text_length % 4 == 1)
    return NULL;

  out = g_malloc ((text_length / 4) * 3 + 3);

  for (gsize i = 0; i < text_length; i++)
    {
      int v = b64url_value (text[i]);

      if (v < 0)
        return NULL;

      acc = ((acc << 6) | (guint32) v) & 0xffffff;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[n++] = (guint8) (acc >> bits);
        }
    }

  /* Non-zero padding bits would give one value several spellings. */
  if ((acc & ((1u << bits) - 1)) != 0)
    return NULL;

  if (out_length != NULL)
    *out_length = n;

  return g_steal_pointer (&out);
}

gboolean
kantor_jwt_looks_like_jwt (const char *token)
{
  guint dots = 0;

  if (token == NULL || *token == '\0')
    return FALSE;

  for (const char *p = token; *p != '\0'; p++)
    {
      if (*p == '.')
        dots++;
      else if (b64url_value (*p) < 0)
        return FALSE;
    }

  return dots == 2;
}

/* On OpenSSL's SHA-256 primitives rather than EVP_MAC, which would load
 * openssl.cnf and the default provider (some 2 MB resident) and allocate a
 * context per token. */
static gboolean
sign (const guint8 *secret,
      gsize         secret_length,
      const char   *input,
      gsize         input_length,
      guint8        mac[SIGNATURE_LENGTH])
{
  return kantor_hmac_sha256 (secret, secret_length, (const guint8 *) input, input_length, mac);
}

char *
kantor_jwt_encode (const guint8          *secret,
                   gsize                  secret_length,
                   const KantorJwtClaims *claims)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *payload_json = NULL;
  g_autofree char *header64 = NULL;
  g_autofree char *payload64 = NULL;
  g_autofree char *signature64 = NULL;
  g_autofree char *signing_input = NULL;
  guint8 mac[SIGNATURE_LENGTH];

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (claims != NULL, NULL);
  g_return_val_if_fail (claims->sub != NULL && claims->username != NULL, NULL);
  g_return_val_if_fail (claims->jti != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, KANTOR_JWT_ISSUER);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, claims->sub);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, claims->username);
  json_builder_set_member_name (builder, "permissions");
  json_builder_begin_array (builder);
  for (guint i = 0; claims->permissions != NULL && claims->permissions[i] != NULL; i++)
    json_builder_add_string_value (builder, claims->permissions[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "typ");
  json_builder_add_string_value (builder, claims->typ == KANTOR_JWT_REFRESH ? "refresh" : "access");
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, claims->iat);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, claims->exp);
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, claims->jti);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  payload_json = json_to_string (root, FALSE);

  header64 = g_strdup (header_b64);
  payload64 = kantor_base64url_encode ((const guint8 *) payload_json, strlen (payload_json));
  signing_input = g_strconcat (header64, ".", payload64, NULL);

  if (!sign (secret, secret_length, signing_input, strlen (signing_input), mac))
    return NULL;

  signature64 = kantor_base64url_encode (mac, sizeof mac);
  OPENSSL_cleanse (mac, sizeof mac);

  return g_strconcat (signing_input, ".", signature64, NULL);
}

/* Decodes one segment into a JSON object; NULL for anything else. */
static JsonObject *
parse_segment (const char *segment,
               gsize       length)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree guint8 *raw = NULL;
  JsonNode *root;
  gsize raw_length = 0;

  raw = kantor_base64url_decode (segment, length, &raw_length);
  if (raw == NULL || raw_length == 0)
    return NULL;

  /* json-glib would stop at a NUL and be lenient about bad UTF-8. */
  if (memchr (raw, '\0', raw_length) != NULL ||
      !g_utf8_validate ((const char *) raw, (gssize) raw_length, NULL))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const char *) raw, (gssize) raw_length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gboolean
get_int (JsonObject *object,
         const char *name,
         gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
is_nonempty (const char *s)
{
  return s != NULL && *s != '\0';
}

static KantorJwtClaims *
claims_from_object (JsonObject *payload)
{
  g_autoptr(KantorJwtClaims) claims = kantor_jwt_claims_new ();
  JsonNode *node;
  JsonArray *array;
  const char *typ;
  guint n;

  if (g_strcmp0 (get_string (payload, "iss"), KANTOR_JWT_ISSUER) != 0)
    return NULL;

  if (!is_nonempty (get_string (payload, "sub")) ||
      !is_nonempty (get_string (payload, "username")) ||
      !is_nonempty (get_string (payload, "jti")))
    return NULL;

  claims->sub = g_strdup (get_string (payload, "sub"));
  claims->username = g_strdup (get_string (payload, "username"));
  claims->jti = g_strdup (get_string (payload, "jti"));

  typ = get_string (payload, "typ");
  if (g_strcmp0 (typ, "access") == 0)
    claims->typ = KANTOR_JWT_ACCESS;
  else if (g_strcmp0 (typ, "refresh") == 0)
    claims->typ = KANTOR_JWT_REFRESH;
  else
    return NULL;

  if (!get_int (payload, "iat", &claims->iat) || !get_int (payload, "exp", &claims->exp))
    return NULL;

  node = json_object_get_member (payload, "permissions");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  claims->permissions = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (json_node_get_value_type (element) != G_TYPE_STRING)
        return NULL;
      claims->permissions[i] = g_strdup (json_node_get_string (element));
    }

  return g_steal_pointer (&claims);
}

/* alg must be HS256; typ, when present, JWT. */
static gboolean
check_header (const char  *segment,
              gsize        length,
              GError     **error)
{
  g_autoptr(JsonObject) header = parse_segment (segment, length);
  const char *alg, *typ;

  if (header == NULL)
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_MALFORMED,
                   "The token is malformed");
      return FALSE;
    }

  alg = get_string (header, "alg");
  if (g_strcmp0 (alg, "HS256") != 0)
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_ALGORITHM,
                   "The token's algorithm is not HS256");
      return FALSE;
    }
  if (json_object_has_member (header, "typ"))
    {
      typ = get_string (header, "typ");
      if (typ == NULL || g_ascii_strcasecmp (typ, "JWT") != 0)
        {
          g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_ALGORITHM,
                       "The token's header type is not JWT");
          return FALSE;
        }
    }
  /* An extension we do not implement must not be silently ignored
   * (RFC 7515 §4.1.11). */
  if (json_object_has_member (header, "crit"))
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_ALGORITHM,
                   "The token's header has critical extensions");
      return FALSE;
    }

  return TRUE;
}

KantorJwtClaims *
kantor_jwt_verify (const guint8   *secret,
                   gsize           secret_length,
                   const char     *token,
                   KantorJwtType   expected_type,
                   gint64          now,
                   GError        **error)
{
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(KantorJwtClaims) claims = NULL;
  g_autofree guint8 *signature = NULL;
  const char *dot1, *dot2, *end;
  guint8 mac[SIGNATURE_LENGTH];
  gsize signature_length = 0;
  gsize length;
  gboolean match;

  g_return_val_if_fail (secret != NULL, NULL);

  if (token == NULL)
    goto malformed;

  /* strnlen: a hostile token is never scanned past the cap. */
  length = strnlen (token, KANTOR_JWT_MAX_LENGTH + 1);
  if (length == 0 || length > KANTOR_JWT_MAX_LENGTH)
    goto malformed;

  end = token + length;
  dot1 = memchr (token, '.', length);
  if (dot1 == NULL)
    goto malformed;
  dot2 = memchr (dot1 + 1, '.', (gsize) (end - dot1 - 1));
  if (dot2 == NULL || memchr (dot2 + 1, '.', (gsize) (end - dot2 - 1)) != NULL)
    goto malformed;

  /* Our own tokens carry exactly the header we write: recognised without a
   * JSON parse, which is a third of the cost of a verification. */
  if (((gsize) (dot1 - token) != strlen (header_b64) ||
       memcmp (token, header_b64, strlen (header_b64)) != 0) &&
      !check_header (token, (gsize) (dot1 - token), error))
    return NULL;

  signature = kantor_base64url_decode (dot2 + 1, (gsize) (end - dot2 - 1), &signature_length);
  if (signature == NULL)
    goto malformed;

  if (!sign (secret, secret_length, token, (gsize) (dot2 - token), mac))
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_SIGNATURE,
                   "The token's signature cannot be checked");
      return NULL;
    }

  /* The length is public (always 32 for HS256); the bytes are compared in
   * constant time. */
  match = signature_length == SIGNATURE_LENGTH &&
          CRYPTO_memcmp (mac, signature, SIGNATURE_LENGTH) == 0;
  OPENSSL_cleanse (mac, sizeof mac);
  if (!match)
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_SIGNATURE,
                   "The token's signature is not valid");
      return NULL;
    }

  payload = parse_segment (dot1 + 1, (gsize) (dot2 - dot1 - 1));
  if (payload == NULL)
    goto malformed;

  claims = claims_from_object (payload);
  if (claims == NULL)
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_CLAIMS,
                   "The token's claims are missing or malformed");
      return NULL;
    }

  if (claims->typ != expected_type)
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_WRONG_TYPE,
                   expected_type == KANTOR_JWT_ACCESS
                   ? "A refresh token cannot be used as an access token"
                   : "An access token cannot be used as a refresh token");
      return NULL;
    }

  if (claims->exp <= now)
    {
      g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_EXPIRED,
                   "The token has expired");
      return NULL;
    }

  return g_steal_pointer (&claims);

malformed:
  g_set_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_MALFORMED,
               "The token is malformed");
  return NULL;
}
