/* kantor-auth.h: tokens, logins and refresh-token rotation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kantor-store.h"

G_BEGIN_DECLS

#define KANTOR_AUTH_ERROR (kantor_auth_error_quark ())

typedef enum
{
  KANTOR_AUTH_ERROR_INVALID_TOKEN,        /* invalid_token */
  KANTOR_AUTH_ERROR_TOKEN_EXPIRED,        /* token_expired */
  KANTOR_AUTH_ERROR_INVALID_CREDENTIALS,  /* invalid_credentials */
  KANTOR_AUTH_ERROR_RATE_LIMITED,         /* rate_limit_exceeded */
  KANTOR_AUTH_ERROR_INVALID_USERNAME,     /* validation_error */
  KANTOR_AUTH_ERROR_USER_EXISTS,          /* validation_error */
  KANTOR_AUTH_ERROR_WEAK_SECRET,          /* start-up refusal */
  KANTOR_AUTH_ERROR_FAILED,               /* handler_error */
  KANTOR_AUTH_ERROR_WEAK_PASSWORD,        /* add_user: too short or too long */
} KantorAuthError;

GQuark kantor_auth_error_quark (void);

/* Who a token or a login says the peer is. Tokens are set only by login and
 * refresh. */
typedef struct
{
  char   *user_id;
  char   *username;
  char  **permissions;
  gint64  expires_at;          /* access token expiry, epoch seconds */
  char   *access_token;
  char   *refresh_token;
  gint64  refresh_expires_at;  /* epoch seconds */
} KantorAuthGrant;

void kantor_auth_grant_free (KantorAuthGrant *grant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorAuthGrant, kantor_auth_grant_free)

#define KANTOR_TYPE_AUTH (kantor_auth_get_type ())
G_DECLARE_FINAL_TYPE (KantorAuth, kantor_auth, KANTOR, AUTH, GObject)

/* Loads the signing secret (KANTOR_JWT_SECRET, at least 32 bytes, or
 * <state_dir>/jwt-secret created with mode 0600) and, when no user exists,
 * creates "admin" with a random password in <state_dir>/initial-password.
 * An existing jwt-secret that is not a regular file of ours closed to group
 * and others is refused (KANTOR_AUTH_ERROR_WEAK_SECRET), not tightened: it
 * may already have been read. Blocking (one PBKDF2 on a first start). */
KantorAuth      *kantor_auth_new                       (KantorStore   *store,
                                                        const char    *state_dir,
                                                        gboolean       dev_mode,
                                                        GError       **error);
/* Non-NULL when this start created the first user. */
const char      *kantor_auth_get_initial_password_path (KantorAuth    *self);
void             kantor_auth_set_access_ttl            (KantorAuth    *self,
                                                        gint64         seconds);

/* Fast, synchronous: signature, alg, typ and expiry of an access token (or a
 * test token in dev mode). */
KantorAuthGrant *kantor_auth_verify_access             (KantorAuth    *self,
                                                        const char    *token,
                                                        GError       **error);

/* PBKDF2 runs in a worker thread; rate-limited per user and per address. */
void             kantor_auth_login_async               (KantorAuth          *self,
                                                        const char          *username,
                                                        const char          *password,
                                                        const char          *peer_address,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KantorAuthGrant *kantor_auth_login_finish              (KantorAuth          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Rotation: the presented refresh token is revoked, a new pair is issued. */
void             kantor_auth_refresh_async             (KantorAuth          *self,
                                                        const char          *refresh_token,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KantorAuthGrant *kantor_auth_refresh_finish            (KantorAuth          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Revokes @refresh_token, or every refresh token of @user_id when it is
 * NULL. */
void             kantor_auth_logout_async              (KantorAuth          *self,
                                                        const char          *user_id,
                                                        const char          *refresh_token,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean         kantor_auth_logout_finish             (KantorAuth          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Blocking; for `kantord --add-user`, before the main loop runs. */
gboolean         kantor_auth_add_user                  (KantorAuth    *self,
                                                        const char    *username,
                                                        const char    *password,
                                                        GError       **error);

/* Failed logins allowed per user and per address within the window; the
 * next attempt is refused with KANTOR_AUTH_ERROR_RATE_LIMITED until the
 * oldest failure leaves the window. A successful login clears the user's
 * count (not the address's, which would let one good account launder a
 * password-spraying run). */
#define KANTOR_AUTH_MAX_FAILURES     5
#define KANTOR_AUTH_FAILURE_WINDOW   (15 * 60)   /* seconds */
#define KANTOR_AUTH_MIN_PASSWORD     8           /* characters */

/* Epoch seconds. The default reads the real-time clock; tests drive their
 * own. Called on the main thread only. */
typedef gint64 (*KantorAuthClockFunc) (gpointer user_data);
void             kantor_auth_set_clock                 (KantorAuth          *self,
                                                        KantorAuthClockFunc  clock,
                                                        gpointer             user_data);
void             kantor_auth_set_refresh_ttl           (KantorAuth    *self,
                                                        gint64         seconds);
gboolean         kantor_auth_get_dev_mode              (KantorAuth    *self);

/* ^[A-Za-z0-9_.-]{1,64}$ */
gboolean         kantor_auth_username_is_valid         (const char    *username);
gboolean         kantor_auth_grant_has_permission      (const KantorAuthGrant *grant,
                                                        const char            *permission);

G_END_DECLS
