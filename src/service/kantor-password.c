/* kantor-password.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

/* SHA256_Init/Update/Final are deprecated in OpenSSL 3.0 in favour of EVP,
 * but they are the only OpenSSL interface that lets a precomputed digest
 * state be copied without a heap allocation (see derive()), and they never
 * initialise the library: no openssl.cnf, no provider, no DRBG. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "kantor-password.h"

#define SCHEME "pbkdf2-sha256"
#define SALT_LENGTH 16
#define HASH_LENGTH 32
/* Hashes come from our own database, but a corrupted or hostile row must not
 * pin a worker for hours. */
#define MAX_ITERATIONS 100000000u

G_DEFINE_QUARK (kantor-password-error-quark, kantor_password_error)

static void
set_crypto_error (GError     **error,
                  const char  *what)
{
  char buf[256];
  unsigned long code = ERR_get_error ();

  ERR_clear_error ();
  if (code != 0)
    ERR_error_string_n (code, buf, sizeof buf);
  else
    g_strlcpy (buf, "unknown error", sizeof buf);

  g_set_error (error, KANTOR_PASSWORD_ERROR, KANTOR_PASSWORD_ERROR_CRYPTO,
               "%s failed: %s", what, buf);
}

/* The kernel's CSPRNG, which also seeds OpenSSL's DRBG. RAND_bytes() would
 * make OpenSSL load openssl.cnf, the default provider and a DRBG on first
 * use: some 2 MB of a process that otherwise needs only SHA-256 from it. */
gboolean
kantor_random_bytes (guint8  *buffer,
                     gsize    length,
                     GError **error)
{
  gsize done = 0;

  g_return_val_if_fail (buffer != NULL || length == 0, FALSE);

  while (done < length)
    {
      /* Flags 0: blocks only until the pool is first initialised at boot;
       * requests above 256 bytes may come back short. */
      gssize n = getrandom (buffer + done, length - done, 0);

      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          OPENSSL_cleanse (buffer, done);
          g_set_error (error, KANTOR_PASSWORD_ERROR, KANTOR_PASSWORD_ERROR_CRYPTO,
                       "getrandom failed: %s", g_strerror (errsv));
          return FALSE;
        }
      done += (gsize) n;
    }

  return TRUE;
}

char *
kantor_random_password (guint    length,
                        GError **error)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  /* 248 = 4 * 62: bytes at or above it are dropped so that every character
   * is equally likely. */
  const guint limit = 4 * (sizeof alphabet - 1);
  g_autofree char *out = g_malloc0 (length + 1);
  guint n = 0;

  while (n < length)
    {
      guint8 pool[64];

      if (!kantor_random_bytes (pool, sizeof pool, error))
        {
          OPENSSL_cleanse (out, length);
          return NULL;
        }

      for (gsize i = 0; i < sizeof pool && n < length; i++)
        if (pool[i] < limit)
          out[n++] = alphabet[pool[i] % (sizeof alphabet - 1)];

      OPENSSL_cleanse (pool, sizeof pool);
    }

  return g_steal_pointer (&out);
}

char *
kantor_random_hex (gsize    n_bytes,
                   GError **error)
{
  g_autofree guint8 *raw = g_malloc (n_bytes);
  char *out;

  if (!kantor_random_bytes (raw, n_bytes, error))
    return NULL;

  out = g_malloc (2 * n_bytes + 1);
  for (gsize i = 0; i < n_bytes; i++)
    {
      out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
      out[2 * i + 1] = "0123456789abcdef"[raw[i] & 0xf];
    }
  out[2 * n_bytes] = '\0';
  OPENSSL_cleanse (raw, n_bytes);

  return out;
}

/* HMAC-SHA256 (RFC 2104) as two SHA-256 states keyed once: the inner one
 * has absorbed K ^ ipad, the outer one K ^ opad. A MAC is then a copy of
 * each plus the message, with no heap allocation and no EVP dispatch. */
typedef struct
{
  SHA256_CTX inner;
  SHA256_CTX outer;
} HmacKey;

static gboolean
hmac_key_init (HmacKey      *hk,
               const guint8 *key,
               gsize         key_length)
{
  guint8 block[SHA256_CBLOCK] = { 0 };
  guint8 pad[SHA256_CBLOCK];
  gboolean ok = TRUE;

  /* Not the one-shot SHA256(): in OpenSSL 3 it goes through EVP and would
   * initialise the library after all. */
  if (key_length > sizeof block)
    {
      SHA256_CTX ctx;

      ok &= SHA256_Init (&ctx) && SHA256_Update (&ctx, key, key_length) &&
            SHA256_Final (block, &ctx);
      OPENSSL_cleanse (&ctx, sizeof ctx);
    }
  else if (key_length > 0)
    memcpy (block, key, key_length);

  for (gsize i = 0; i < sizeof pad; i++)
    pad[i] = block[i] ^ 0x36;
  ok &= SHA256_Init (&hk->inner) && SHA256_Update (&hk->inner, pad, sizeof pad);
  for (gsize i = 0; i < sizeof pad; i++)
    pad[i] = block[i] ^ 0x5c;
  ok &= SHA256_Init (&hk->outer) && SHA256_Update (&hk->outer, pad, sizeof pad);

  OPENSSL_cleanse (block, sizeof block);
  OPENSSL_cleanse (pad, sizeof pad);
  return ok;
}

static void
hmac_key_clear (HmacKey *hk)
{
  OPENSSL_cleanse (hk, sizeof *hk);
}

/* HMAC (K, a || b); @b may be NULL. */
static gboolean
hmac_key_mac (const HmacKey *hk,
              const guint8  *a,
              gsize          a_length,
              const guint8  *b,
              gsize          b_length,
              guint8         mac[SHA256_DIGEST_LENGTH])
{
  SHA256_CTX ctx = hk->inner;
  gboolean ok;

  ok = SHA256_Update (&ctx, a, a_length) &&
       (b == NULL || SHA256_Update (&ctx, b, b_length)) &&
       SHA256_Final (mac, &ctx);
  ctx = hk->outer;
  ok = ok && SHA256_Update (&ctx, mac, SHA256_DIGEST_LENGTH) && SHA256_Final (mac, &ctx);
  OPENSSL_cleanse (&ctx, sizeof ctx);

  return ok;
}

gboolean
kantor_hmac_sha256 (const guint8 *key,
                    gsize         key_length,
                    const guint8 *data,
                    gsize         length,
                    guint8        mac[KANTOR_HMAC_SHA256_LENGTH])
{
  HmacKey hk;
  gboolean ok;

  g_return_val_if_fail (key != NULL || key_length == 0, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (mac != NULL, FALSE);

  ok = hmac_key_init (&hk, key, key_length) &&
       hmac_key_mac (&hk, data, length, NULL, 0, mac);
  hmac_key_clear (&hk);
  if (!ok)
    OPENSSL_cleanse (mac, KANTOR_HMAC_SHA256_LENGTH);

  return ok;
}

/* PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) for one 32-byte block, on the keyed
 * states above. OpenSSL 3.0's PKCS5_PBKDF2_HMAC() duplicates three digest
 * contexts, with a heap allocation each, on every one of the 600 000
 * iterations: it takes twice as long as this loop, which copies the keyed
 * inner and outer states as plain structures. The tests check the two
 * against each other. */
static gboolean
derive (const char   *password,
        const guint8 *salt,
        gsize         salt_length,
        guint         iterations,
        guint8       *out,
        gsize         out_length,
        GError      **error)
{
  static const guint8 block_index[4] = { 0, 0, 0, 1 };
  guint8 u[SHA256_DIGEST_LENGTH];
  guint8 t[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  HmacKey hk;
  gboolean ok;

  g_assert (out_length == SHA256_DIGEST_LENGTH);

  /* U1 = HMAC (P, S || INT (1)) */
  ok = hmac_key_init (&hk, (const guint8 *) password, strlen (password)) &&
       hmac_key_mac (&hk, salt, salt_length, block_index, sizeof block_index, u);
  memcpy (t, u, sizeof t);

  /* Uj = HMAC (P, Uj-1); T = U1 ^ U2 ^ ... The hot loop stays inline:
   * SHA-256 of a 32-byte message cannot fail. */
  for (guint j = 1; ok && j < iterations; j++)
    {
      ctx = hk.inner;
      SHA256_Update (&ctx, u, sizeof u);
      SHA256_Final (u, &ctx);
      ctx = hk.outer;
      SHA256_Update (&ctx, u, sizeof u);
      SHA256_Final (u, &ctx);
      for (gsize k = 0; k < sizeof t; k++)
        t[k] ^= u[k];
    }

  if (ok)
    memcpy (out, t, sizeof t);
  else
    set_crypto_error (error, "SHA-256");

  OPENSSL_cleanse (u, sizeof u);
  OPENSSL_cleanse (t, sizeof t);
  OPENSSL_cleanse (&ctx, sizeof ctx);
  hmac_key_clear (&hk);

  return ok;
}

static char *
encode (guint         iterations,
        const guint8 *salt,
        const guint8 *hash)
{
  g_autofree char *salt64 = g_base64_encode (salt, SALT_LENGTH);
  g_autofree char *hash64 = g_base64_encode (hash, HASH_LENGTH);

  return g_strdup_printf (SCHEME "$%u$%s$%s", iterations, salt64, hash64);
}

char *
kantor_password_hash_with_iterations (const char  *password,
                                      guint        iterations,
                                      GError     **error)
{
  guint8 salt[SALT_LENGTH];
  guint8 hash[HASH_LENGTH];
  char *encoded;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (iterations > 0 && iterations <= MAX_ITERATIONS, NULL);

  if (!kantor_random_bytes (salt, sizeof salt, error))
    return NULL;

  if (!derive (password, salt, sizeof salt, iterations, hash, sizeof hash, error))
    return NULL;

  encoded = encode (iterations, salt, hash);
  OPENSSL_cleanse (hash, sizeof hash);

  return encoded;
}

char *
kantor_password_hash (const char  *password,
                      GError     **error)
{
  return kantor_password_hash_with_iterations (password, KANTOR_PASSWORD_ITERATIONS, error);
}

char *
kantor_password_dummy_hash (void)
{
  guint8 salt[SALT_LENGTH];
  guint8 hash[HASH_LENGTH];

  /* Random bytes for both: no password derives to a random hash except by
   * a 2^-256 accident. Falls back to fixed bytes if getrandom fails, which is
   * just as unmatchable in practice. */
  if (!kantor_random_bytes (salt, sizeof salt, NULL) ||
      !kantor_random_bytes (hash, sizeof hash, NULL))
    {
      memset (salt, 0x5a, sizeof salt);
      memset (hash, 0xa5, sizeof hash);
    }

  return encode (KANTOR_PASSWORD_ITERATIONS, salt, hash);
}

static gboolean
decode_b64 (const char *text,
            guint8     *out,
            gsize       expected)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  /* g_base64_decode ignores stray characters; be strict instead. */
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;
  if (strlen (text) != ((expected + 2) / 3) * 4)
    return FALSE;

  raw = g_base64_decode (text, &len);
  if (raw == NULL || len != expected)
    {
      if (raw != NULL)
        OPENSSL_cleanse (raw, len);
      return FALSE;
    }

  memcpy (out, raw, expected);
  OPENSSL_cleanse (raw, len);
  return TRUE;
}

gboolean
kantor_password_verify (const char  *password,
                        const char  *encoded,
                        GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint8 salt[SALT_LENGTH];
  guint8 expected[HASH_LENGTH];
  guint8 actual[HASH_LENGTH];
  guint64 iterations = 0;
  gboolean equal;

  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (encoded != NULL, FALSE);

  parts = g_strsplit (encoded, "$", -1);
  if (g_strv_length (parts) != 4 ||
      g_strcmp0 (parts[0], SCHEME) != 0 ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, MAX_ITERATIONS, &iterations, NULL) ||
      !decode_b64 (parts[2], salt, sizeof salt) ||
      !decode_b64 (parts[3], expected, sizeof expected))
    {
      g_set_error (error, KANTOR_PASSWORD_ERROR, KANTOR_PASSWORD_ERROR_MALFORMED_HASH,
                   "The stored password hash is not in the " SCHEME " format");
      return FALSE;
    }

  if (!derive (password, salt, sizeof salt, (guint) iterations, actual, sizeof actual, error))
    return FALSE;

  equal = CRYPTO_memcmp (actual, expected, sizeof actual) == 0;
  OPENSSL_cleanse (actual, sizeof actual);
  OPENSSL_cleanse (expected, sizeof expected);

  return equal;
}
