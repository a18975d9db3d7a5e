/* kantor-password.h: salted PBKDF2-HMAC-SHA256 password hashes, HMAC-SHA256
 * and secure random values
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
#define KANTOR_PASSWORD_ITERATIONS 600000

#define KANTOR_PASSWORD_ERROR (kantor_password_error_quark ())

typedef enum
{
  KANTOR_PASSWORD_ERROR_MALFORMED_HASH,
  KANTOR_PASSWORD_ERROR_CRYPTO,
} KantorPasswordError;

GQuark    kantor_password_error_quark         (void);

/* "pbkdf2-sha256$<iterations>$<base64 salt>$<base64 hash>", 16 bytes of
 * salt, 32 of hash. Blocking: some 60-150 ms at KANTOR_PASSWORD_ITERATIONS,
 * so never on the main loop. */
char     *kantor_password_hash                (const char   *password,
                                               GError      **error);
char     *kantor_password_hash_with_iterations (const char  *password,
                                               guint         iterations,
                                               GError      **error);

/* Recomputes the hash with the salt and iteration count in @encoded and
 * compares in constant time. FALSE without an error on a mismatch; FALSE
 * with an error when @encoded is not a hash of this format. */
gboolean  kantor_password_verify              (const char   *password,
                                               const char   *encoded,
                                               GError      **error);

/* A well-formed hash that no password matches; verifying against it costs
 * the same as against a real one, which hides whether a user exists. */
char     *kantor_password_dummy_hash          (void);

/* HMAC-SHA256 (RFC 2104) on OpenSSL's SHA-256 primitives, which never load
 * OpenSSL's configuration or providers. Any key length (longer than 64
 * bytes: hashed first). FALSE only if SHA-256 itself fails. */
#define KANTOR_HMAC_SHA256_LENGTH 32

gboolean  kantor_hmac_sha256                  (const guint8 *key,
                                               gsize         key_length,
                                               const guint8 *data,
                                               gsize         length,
                                               guint8        mac[KANTOR_HMAC_SHA256_LENGTH]);

/* Cryptographically secure random bytes from the kernel's CSPRNG
 * (getrandom(2)); blocks only until it is seeded after boot. */
gboolean  kantor_random_bytes                 (guint8       *buffer,
                                               gsize         length,
                                               GError      **error);

/* @length characters drawn uniformly from [A-Za-z0-9]. */
char     *kantor_random_password              (guint         length,
                                               GError      **error);

/* @n_bytes random bytes as lower-case hex. */
char     *kantor_random_hex                   (gsize         n_bytes,
                                               GError      **error);

G_END_DECLS
