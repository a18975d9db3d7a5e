/* kantor-jwt.h: JSON Web Tokens, HS256 only (RFC 7519, RFC 7515)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longer tokens are refused before any parsing. */
#define KANTOR_JWT_MAX_LENGTH 8192
#define KANTOR_JWT_ISSUER "kantor"

#define KANTOR_JWT_ERROR (kantor_jwt_error_quark ())

typedef enum
{
  KANTOR_JWT_ERROR_MALFORMED,      /* not three base64url segments of JSON objects, too long */
  KANTOR_JWT_ERROR_ALGORITHM,      /* alg is not HS256, or typ is not JWT */
  KANTOR_JWT_ERROR_SIGNATURE,      /* the signature does not match */
  KANTOR_JWT_ERROR_CLAIMS,         /* a claim is missing, of the wrong type, or iss is wrong */
  KANTOR_JWT_ERROR_WRONG_TYPE,     /* an access token where a refresh token is due, or back */
  KANTOR_JWT_ERROR_EXPIRED,        /* exp is not in the future */
} KantorJwtError;

GQuark kantor_jwt_error_quark (void);

typedef enum
{
  KANTOR_JWT_ACCESS,
  KANTOR_JWT_REFRESH,
} KantorJwtType;

typedef struct
{
  char          *sub;           /* user id */
  char          *username;
  char         **permissions;
  KantorJwtType  typ;
  gint64         iat;           /* epoch seconds */
  gint64         exp;           /* epoch seconds */
  char          *jti;
} KantorJwtClaims;

KantorJwtClaims *kantor_jwt_claims_new  (void);
void             kantor_jwt_claims_free (KantorJwtClaims *claims);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorJwtClaims, kantor_jwt_claims_free)

/* "header.payload.signature" with header {"alg":"HS256","typ":"JWT"} and
 * iss "kantor". @secret should be at least 32 bytes. */
char            *kantor_jwt_encode      (const guint8          *secret,
                                         gsize                  secret_length,
                                         const KantorJwtClaims *claims);

/* Checks, in this order: shape and size, header (alg HS256, typ JWT when
 * present), signature (constant time), claims and iss, @expected_type, and
 * exp against @now (epoch seconds). Never crashes on hostile input. */
KantorJwtClaims *kantor_jwt_verify      (const guint8          *secret,
                                         gsize                  secret_length,
                                         const char            *token,
                                         KantorJwtType          expected_type,
                                         gint64                 now,
                                         GError               **error);

/* TRUE when @token has the shape header.payload.signature (two dots and
 * base64url characters only); says nothing of its validity. */
gboolean         kantor_jwt_looks_like_jwt (const char         *token);

/* base64url without padding (RFC 4648 §5). Decoding is strict: only the
 * URL-safe alphabet, no padding, canonical trailing bits. */
char            *kantor_base64url_encode (const guint8         *data,
                                          gsize                 length);
guint8          *kantor_base64url_decode (const char           *text,
                                          gsize                 text_length,
                                          gsize                *out_length);

G_END_DECLS
