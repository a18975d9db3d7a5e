/* test-auth.c: secrets, accounts, logins, token rotation (no server)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kantor-auth.h"
#include "kantor-jwt.h"
#include "kantor-password.h"
#include "kantor-store.h"

#define TIMEOUT_S 20
#define START_TIME 1764000000

/* A user created by the fixture with a cheap hash (the iteration count is
 * stored with it), so that only the tests that need the real 600 000
 * iterations pay for them. */
#define TRADER "trader"
#define TRADER_PASSWORD "correct horse battery"

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

#define WAIT_UNTIL(cond)                                                       \
  G_STMT_START {                                                               \
    gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;   \
    guint tick_ = g_timeout_add (50, tick, NULL);                              \
    while (!(cond))                                                            \
      {                                                                        \
        if (g_get_monotonic_time () > deadline_)                               \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration (NULL, TRUE);                                 \
      }                                                                        \
    g_source_remove (tick_);                                                   \
  } G_STMT_END

typedef struct
{
  char        *state_dir;
  char        *db_path;
  KantorStore *store;
  KantorAuth  *auth;
  gint64       now;
} Fixture;

static gint64
fixture_clock (gpointer data)
{
  Fixture *f = data;

  return f->now;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_unsetenv ("KANTOR_JWT_SECRET");
  f->now = START_TIME;
  f->state_dir = g_build_filename (g_get_user_state_dir (), "kantor", NULL);
  f->db_path = g_build_filename (f->state_dir, "kantor.db", NULL);
  f->store = kantor_store_new (f->db_path, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->auth != NULL)
    {
      g_object_add_weak_pointer (G_OBJECT (f->auth), (gpointer *) &f->auth);
      g_object_unref (f->auth);
      g_assert_null (f->auth);
    }
  g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
  g_object_unref (f->store);
  g_assert_null (f->store);
  g_free (f->db_path);
  g_free (f->state_dir);
  g_unsetenv ("KANTOR_JWT_SECRET");
}

static KantorAuth *
new_auth (Fixture  *f,
          gboolean  dev_mode,
          GError  **error)
{
  KantorAuth *auth = kantor_auth_new (f->store, f->state_dir, dev_mode, error);

  if (auth != NULL)
    kantor_auth_set_clock (auth, fixture_clock, f);
  return auth;
}

/* --- Store helpers --- */

static gpointer
exec_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  return kantor_store_exec (store, data, error) ? store : NULL;
}

static gpointer
count_func (KantorStore  *store,
            gpointer      data,
            GError      **error)
{
  sqlite3_stmt *stmt = kantor_store_prepare (store, data, error);
  gint64 *n;

  if (stmt == NULL || kantor_store_step (store, stmt, error) != SQLITE_ROW)
    return NULL;
  n = g_new (gint64, 1);
  *n = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

static gint64
count (Fixture    *f,
       const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *n = kantor_store_run_sync (f->store, count_func, (gpointer) sql, &error);

  g_assert_no_error (error);
  return *n;
}

static void
add_trader (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sql = NULL;

  hash = kantor_password_hash_with_iterations (TRADER_PASSWORD, 1000, &error);
  g_assert_no_error (error);
  sql = g_strdup_printf ("INSERT INTO users (id, username, password_hash, permissions, "
                         "created_at) VALUES ('trader-id', '" TRADER "', '%s', "
                         "'[\"read\",\"trade\"]', 1)", hash);
  kantor_store_run_sync (f->store, exec_func, sql, &error);
  g_assert_no_error (error);
}

static void
fixture_setup_with_trader (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture_setup (f, data);
  add_trader (f);

  f->auth = new_auth (f, GPOINTER_TO_INT (data), &error);
  g_assert_no_error (error);
  /* A user existed: no admin was made. */
  g_assert_null (kantor_auth_get_initial_password_path (f->auth));
}

/* --- Async helpers --- */

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static KantorAuthGrant *
login (Fixture     *f,
       const char  *username,
       const char  *password,
       const char  *address,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_auth_login_async (f->auth, username, password, address, NULL, result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return kantor_auth_login_finish (f->auth, result, error);
}

static KantorAuthGrant *
login_ok (Fixture    *f,
          const char *username,
          const char *password)
{
  g_autoptr(GError) error = NULL;
  KantorAuthGrant *grant = login (f, username, password, "127.0.0.1", &error);

  g_assert_no_error (error);
  g_assert_nonnull (grant);
  return grant;
}

static KantorAuthGrant *
refresh (Fixture     *f,
         const char  *token,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_auth_refresh_async (f->auth, token, NULL, result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return kantor_auth_refresh_finish (f->auth, result, error);
}

static gboolean
logout (Fixture     *f,
        const char  *user_id,
        const char  *token,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_auth_logout_async (f->auth, user_id, token, NULL, result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return kantor_auth_logout_finish (f->auth, result, error);
}

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static gint64
live_tokens (Fixture    *f,
             const char *user_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM refresh_tokens WHERE "
                                          "user_id = '%s' AND revoked_at IS NULL", user_id);

  return count (f, sql);
}

/* --- Tests --- */

static void
test_first_start (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(KantorAuthGrant) verified = NULL;
  g_autoptr(KantorAuthGrant) verified2 = NULL;
  g_autoptr(KantorAuth) second = NULL;
  g_autofree char *password_path = g_build_filename (f->state_dir, "initial-password", NULL);
  g_autofree char *secret_path = g_build_filename (f->state_dir, "jwt-secret", NULL);
  g_autofree char *password = NULL;
  g_autofree char *secret = NULL;
  gsize length = 0;

  f->auth = new_auth (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kantor_auth_get_initial_password_path (f->auth), ==, password_path);

  /* Both secrets are private files. */
  assert_mode (f->state_dir, 0700);
  assert_mode (password_path, 0600);
  assert_mode (secret_path, 0600);

  g_assert_true (g_file_get_contents (password_path, &password, &length, NULL));
  g_assert_cmpuint (length, ==, 25);
  g_assert_cmpint (password[24], ==, '\n');
  password[24] = '\0';
  for (guint i = 0; i < 24; i++)
    g_assert_true (g_ascii_isalnum (password[i]));

  g_assert_true (g_file_get_contents (secret_path, &secret, &length, NULL));
  g_assert_cmpuint (length, ==, 128);
  for (guint i = 0; i < length; i++)
    g_assert_true (g_ascii_isxdigit (secret[i]));

  g_assert_cmpint (count (f, "SELECT count(*) FROM users"), ==, 1);

  /* The admin logs in with the password from the file (600 000 rounds). */
  grant = login_ok (f, "admin", password);
  g_assert_cmpstr (grant->username, ==, "admin");
  g_assert_true (kantor_auth_grant_has_permission (grant, "admin"));
  g_assert_true (kantor_auth_grant_has_permission (grant, "trade"));
  g_assert_true (kantor_auth_grant_has_permission (grant, "read"));
  g_assert_cmpint (grant->expires_at, ==, START_TIME + 24 * 3600);
  g_assert_cmpint (grant->refresh_expires_at, ==, START_TIME + 30 * 24 * 3600);
  g_assert_nonnull (grant->access_token);
  g_assert_nonnull (grant->refresh_token);

  verified = kantor_auth_verify_access (f->auth, grant->access_token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (verified->user_id, ==, grant->user_id);
  g_assert_cmpstr (verified->username, ==, "admin");
  g_assert_cmpstrv (verified->permissions, grant->permissions);
  g_assert_null (verified->access_token);

  /* A restart keeps the secret (old tokens stay valid) and makes no new
   * admin. */
  second = kantor_auth_new (f->store, f->state_dir, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (kantor_auth_get_initial_password_path (second));
  kantor_auth_set_clock (second, fixture_clock, f);
  verified2 = kantor_auth_verify_access (second, grant->access_token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (verified2->username, ==, "admin");
  g_assert_cmpint (count (f, "SELECT count(*) FROM users"), ==, 1);
}

static void
test_env_secret_too_short (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret_path = g_build_filename (f->state_dir, "jwt-secret", NULL);
  g_autofree char *password_path = g_build_filename (f->state_dir, "initial-password", NULL);

  g_setenv ("KANTOR_JWT_SECRET", "0123456789012345678901234567890", TRUE);   /* 31 bytes */
  f->auth = new_auth (f, FALSE, &error);
  g_assert_null (f->auth);
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET);
  g_assert_nonnull (strstr (error->message, "KANTOR_JWT_SECRET"));
  g_assert_nonnull (strstr (error->message, "31"));
  /* The secret itself is never repeated. */
  g_assert_null (strstr (error->message, "0123456789"));
  g_clear_error (&error);

  g_setenv ("KANTOR_JWT_SECRET", "", TRUE);
  f->auth = new_auth (f, FALSE, &error);
  g_assert_null (f->auth);
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET);

  /* Nothing was created on the way. */
  g_assert_false (g_file_test (secret_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (password_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (count (f, "SELECT count(*) FROM users"), ==, 0);
}

static void
test_env_secret_used (Fixture       *f,
                      gconstpointer  data)
{
  static const char env_secret[] = "an-environment-secret-of-40-bytes-length";
  static const char other[] = "another-secret-that-is-long-enough-12345";
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(KantorJwtClaims) claims = NULL;
  g_autoptr(KantorJwtClaims) forged_claims = kantor_jwt_claims_new ();
  g_autoptr(KantorAuthGrant) forged_grant = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *secret_path = g_build_filename (f->state_dir, "jwt-secret", NULL);

  g_setenv ("KANTOR_JWT_SECRET", env_secret, TRUE);
  add_trader (f);
  f->auth = new_auth (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (secret_path, G_FILE_TEST_EXISTS));

  grant = login_ok (f, TRADER, TRADER_PASSWORD);

  /* Signed with the variable's bytes, and only with them. */
  claims = kantor_jwt_verify ((const guint8 *) env_secret, strlen (env_secret),
                              grant->access_token, KANTOR_JWT_ACCESS, f->now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claims->username, ==, TRADER);
  g_assert_null (kantor_jwt_verify ((const guint8 *) other, strlen (other),
                                    grant->access_token, KANTOR_JWT_ACCESS, f->now, &error));
  g_assert_error (error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_SIGNATURE);
  g_clear_error (&error);

  /* Whoever holds the secret can mint tokens: proof that it is the one in
   * use. */
  forged_claims->sub = g_strdup ("trader-id");
  forged_claims->username = g_strdup (TRADER);
  forged_claims->permissions = g_strsplit ("read", ",", -1);
  forged_claims->typ = KANTOR_JWT_ACCESS;
  forged_claims->iat = f->now;
  forged_claims->exp = f->now + 60;
  forged_claims->jti = g_strdup ("x");
  forged = kantor_jwt_encode ((const guint8 *) env_secret, strlen (env_secret), forged_claims);
  forged_grant = kantor_auth_verify_access (f->auth, forged, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (forged_grant->user_id, ==, "trader-id");
  g_assert_cmpint (forged_grant->expires_at, ==, f->now + 60);
}

static void
test_secret_file_checks (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret_path = g_build_filename (f->state_dir, "jwt-secret", NULL);
  g_autofree char *link_path = g_build_filename (f->state_dir, "elsewhere", NULL);
  static const char file_secret[] = "a-secret-written-by-hand-0123456789abcdef\n";

  g_assert_cmpint (g_mkdir_with_parents (f->state_dir, 0700), ==, 0);

  /* Readable by others: refused, and left alone. */
  g_assert_true (g_file_set_contents_full (secret_path, file_secret, -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL));
  g_assert_null (new_auth (f, FALSE, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET);
  g_assert_nonnull (strstr (error->message, "chmod"));
  g_clear_error (&error);
  assert_mode (secret_path, 0644);

  /* Too short. */
  g_assert_true (g_file_set_contents_full (secret_path, "short\n", -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  g_assert_cmpint (g_chmod (secret_path, 0600), ==, 0);
  g_assert_null (new_auth (f, FALSE, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET);
  g_clear_error (&error);

  /* A symbolic link is not followed. */
  g_assert_cmpint (g_unlink (secret_path), ==, 0);
  g_assert_true (g_file_set_contents_full (link_path, file_secret, -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  g_assert_cmpint (symlink (link_path, secret_path), ==, 0);
  g_assert_null (new_auth (f, FALSE, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET);
  g_clear_error (&error);

  /* A private file of the right length is used as it is (minus the final
   * newline): a token signed with its bytes verifies. */
  g_assert_cmpint (g_unlink (secret_path), ==, 0);
  g_assert_true (g_file_set_contents_full (secret_path, file_secret, -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  g_assert_cmpint (g_chmod (secret_path, 0600), ==, 0);
  f->auth = new_auth (f, TRUE, &error);
  g_assert_no_error (error);
  {
    g_autoptr(KantorJwtClaims) claims = kantor_jwt_claims_new ();
    g_autoptr(KantorAuthGrant) grant = NULL;
    g_autofree char *token = NULL;

    claims->sub = g_strdup ("u");
    claims->username = g_strdup ("u");
    claims->typ = KANTOR_JWT_ACCESS;
    claims->iat = f->now;
    claims->exp = f->now + 10;
    claims->jti = g_strdup ("j");
    token = kantor_jwt_encode ((const guint8 *) file_secret, strlen (file_secret) - 1, claims);
    grant = kantor_auth_verify_access (f->auth, token, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (grant->username, ==, "u");
  }
}

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) unknown_error = NULL;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(KantorAuthGrant) upper = NULL;

  grant = login_ok (f, TRADER, TRADER_PASSWORD);
  g_assert_cmpstr (grant->user_id, ==, "trader-id");
  g_assert_cmpstr (grant->username, ==, TRADER);
  g_assert_true (kantor_auth_grant_has_permission (grant, "trade"));
  g_assert_false (kantor_auth_grant_has_permission (grant, "admin"));
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 1);

  /* User names compare without case; the grant carries the stored one. */
  upper = login_ok (f, "TRADER", TRADER_PASSWORD);
  g_assert_cmpstr (upper->username, ==, TRADER);

  g_assert_null (login (f, TRADER, "wrong password", "127.0.0.1", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS);

  /* An unknown user gets the very same answer (after the same PBKDF2). */
  g_assert_null (login (f, "nobody", TRADER_PASSWORD, "127.0.0.1", &unknown_error));
  g_assert_error (unknown_error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS);
  g_assert_cmpstr (unknown_error->message, ==, error->message);
  g_clear_error (&error);

  g_assert_null (login (f, TRADER, "", "127.0.0.1", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  g_assert_null (login (f, NULL, NULL, NULL, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS);

  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 2);
}

static void
assert_rate_limited (Fixture    *f,
                     const char *username,
                     const char *password,
                     const char *address,
                     const char *seconds)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_strdup_printf ("in %s seconds", seconds);

  g_assert_null (login (f, username, password, address, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (error->message, expected));
}

static void
assert_bad_credentials (Fixture    *f,
                        const char *username,
                        const char *password,
                        const char *address)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (login (f, username, password, address, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS);
}

static void
test_rate_limit_user (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) g1 = NULL;
  g_autoptr(KantorAuthGrant) g2 = NULL;

  /* Failures from five addresses add up on the one user. Empty passwords
   * fail without hashing, so the test stays fast. */
  for (guint i = 0; i < KANTOR_AUTH_MAX_FAILURES; i++)
    {
      g_autofree char *address = g_strdup_printf ("192.0.2.%u", i + 1);

      f->now = START_TIME + i;
      assert_bad_credentials (f, TRADER, "", address);
    }

  /* Even the right password from a fresh address is refused now, until the
   * first failure is 15 minutes old. */
  f->now = START_TIME + 10;
  assert_rate_limited (f, TRADER, TRADER_PASSWORD, "198.51.100.1", "890");
  assert_rate_limited (f, "Trader", TRADER_PASSWORD, "198.51.100.1", "890");
  f->now = START_TIME + KANTOR_AUTH_FAILURE_WINDOW - 1;
  assert_rate_limited (f, TRADER, TRADER_PASSWORD, "198.51.100.1", "1");
  f->now = START_TIME + KANTOR_AUTH_FAILURE_WINDOW;
  g1 = login_ok (f, TRADER, TRADER_PASSWORD);

  /* A success clears the user's count: 4 failures, a success, 4 more
   * failures and the fifth attempt is still allowed. */
  f->now = START_TIME + 2 * KANTOR_AUTH_FAILURE_WINDOW;
  for (guint i = 0; i < KANTOR_AUTH_MAX_FAILURES - 1; i++)
    assert_bad_credentials (f, TRADER, "", "203.0.113.1");
  g2 = login_ok (f, TRADER, TRADER_PASSWORD);
  g_clear_pointer (&g2, kantor_auth_grant_free);
  for (guint i = 0; i < KANTOR_AUTH_MAX_FAILURES - 1; i++)
    assert_bad_credentials (f, TRADER, "", "203.0.113.2");
  g2 = login_ok (f, TRADER, TRADER_PASSWORD);
}

static void
test_rate_limit_burst (Fixture       *f,
                       gconstpointer  data)
{
  GAsyncResult *results[KANTOR_AUTH_MAX_FAILURES + 3] = { NULL, };
  guint n_bad = 0, n_limited = 0;

  /* All queued before any finishes: the attempts in flight count, so the
   * burst cannot get more than the allowed number of guesses. */
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    kantor_auth_login_async (f->auth, TRADER, "a wrong guess", "192.0.2.9", NULL,
                             result_cb, &results[i]);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KantorAuthGrant) grant = NULL;

      WAIT_UNTIL (results[i] != NULL);
      grant = kantor_auth_login_finish (f->auth, results[i], &error);
      g_assert_null (grant);
      if (g_error_matches (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS))
        n_bad++;
      else if (g_error_matches (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_RATE_LIMITED))
        n_limited++;
      else
        g_assert_no_error (error);
      g_clear_object (&results[i]);
    }

  g_assert_cmpuint (n_bad, ==, KANTOR_AUTH_MAX_FAILURES);
  g_assert_cmpuint (n_limited, ==, 3);
}

static void
test_rate_limit_address (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) other = NULL;
  g_autoptr(KantorAuthGrant) later = NULL;

  /* Spraying names from one address. */
  for (guint i = 0; i < KANTOR_AUTH_MAX_FAILURES; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);

      assert_bad_credentials (f, name, "", "192.0.2.7");
    }

  assert_rate_limited (f, TRADER, TRADER_PASSWORD, "192.0.2.7", "900");
  assert_rate_limited (f, "not a valid name!", "x", "192.0.2.7", "900");

  /* Other addresses are not affected, and the user was never at fault. */
  other = login_ok (f, TRADER, TRADER_PASSWORD);

  f->now += KANTOR_AUTH_FAILURE_WINDOW;
  assert_bad_credentials (f, "guess", "", "192.0.2.7");
  {
    g_autoptr(GError) error = NULL;

    later = login (f, TRADER, TRADER_PASSWORD, "192.0.2.7", &error);
    g_assert_no_error (error);
    g_assert_nonnull (later);
  }
}

static void
test_refresh_rotation (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) g0 = NULL;
  g_autoptr(KantorAuthGrant) g1 = NULL;
  g_autoptr(KantorAuthGrant) g2 = NULL;
  g_autoptr(KantorAuthGrant) access = NULL;

  g0 = login_ok (f, TRADER, TRADER_PASSWORD);

  f->now += 60;
  g1 = refresh (f, g0->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g1->user_id, ==, "trader-id");
  g_assert_cmpstr (g1->username, ==, TRADER);
  g_assert_cmpstrv (g1->permissions, g0->permissions);
  g_assert_cmpstr (g1->refresh_token, !=, g0->refresh_token);
  g_assert_cmpstr (g1->access_token, !=, g0->access_token);
  g_assert_cmpint (g1->expires_at, ==, f->now + 24 * 3600);
  access = kantor_auth_verify_access (f->auth, g1->access_token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 1);

  /* The new one works in turn. */
  g2 = refresh (f, g1->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 1);

  /* The rotated-out token is refused ... */
  g_assert_null (refresh (f, g0->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* ... and its reuse revoked the whole family: g2 is dead as well. */
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 0);
  g_assert_null (refresh (f, g2->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* A validly signed refresh token the store never issued. */
  {
    g_autoptr(KantorAuthGrant) g3 = login_ok (f, TRADER, TRADER_PASSWORD);

    g_assert_cmpint (count (f, "SELECT count(*) FROM refresh_tokens"), >, 0);
    kantor_store_run_sync (f->store, exec_func, (gpointer) "DELETE FROM refresh_tokens", &error);
    g_assert_no_error (error);
    g_assert_null (refresh (f, g3->refresh_token, &error));
    g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  }
}

static void
test_refresh_hashed_and_expiring (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) g0 = login_ok (f, TRADER, TRADER_PASSWORD);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                         g0->refresh_token, -1);
  g_autofree char *by_hash = g_strdup_printf ("SELECT count(*) FROM refresh_tokens "
                                              "WHERE token_hash = '%s'", hash);
  g_autofree char *by_token = g_strdup_printf ("SELECT count(*) FROM refresh_tokens "
                                               "WHERE token_hash = '%s'", g0->refresh_token);

  /* Stored as its SHA-256, never as itself. */
  g_assert_cmpint (count (f, by_hash), ==, 1);
  g_assert_cmpint (count (f, by_token), ==, 0);

  f->now = g0->refresh_expires_at;
  g_assert_null (refresh (f, g0->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_TOKEN_EXPIRED);
}

static void
test_logout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) g0 = login_ok (f, TRADER, TRADER_PASSWORD);
  g_autoptr(KantorAuthGrant) g1 = NULL;
  g_autoptr(KantorAuthGrant) g2 = NULL;

  g1 = refresh (f, g0->refresh_token, &error);
  g_assert_no_error (error);

  /* Someone else's user id cannot revoke this token. */
  g_assert_true (logout (f, "someone-else", g1->refresh_token, &error));
  g_assert_no_error (error);
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 1);

  g_assert_true (logout (f, g1->user_id, g1->refresh_token, &error));
  g_assert_no_error (error);
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 0);
  g_assert_null (refresh (f, g1->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* Logging out without a token ends every session of the user. */
  g_clear_pointer (&g0, kantor_auth_grant_free);
  g0 = login_ok (f, TRADER, TRADER_PASSWORD);
  g2 = login_ok (f, TRADER, TRADER_PASSWORD);
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 2);
  g_assert_true (logout (f, "trader-id", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (live_tokens (f, "trader-id"), ==, 0);
  g_assert_null (refresh (f, g2->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
}

static void
test_token_types (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) g0 = login_ok (f, TRADER, TRADER_PASSWORD);
  g_autoptr(KantorAuthGrant) ok = NULL;
  g_autoptr(KantorAuthGrant) short_lived = NULL;
  g_autofree char *tampered = NULL;

  /* A refresh token is no access token, and the reverse. */
  g_assert_null (kantor_auth_verify_access (f->auth, g0->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_null (refresh (f, g0->access_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* Not a user name in production mode, nor anything malformed. */
  g_assert_null (kantor_auth_verify_access (f->auth, TRADER, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_null (kantor_auth_verify_access (f->auth, "", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_null (kantor_auth_verify_access (f->auth, NULL, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  tampered = g_strdup (g0->access_token);
  tampered[strlen (tampered) - 2] = tampered[strlen (tampered) - 2] == 'A' ? 'B' : 'A';
  g_assert_null (kantor_auth_verify_access (f->auth, tampered, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* Expiry follows the clock. */
  f->now = g0->expires_at - 1;
  ok = kantor_auth_verify_access (f->auth, g0->access_token, &error);
  g_assert_no_error (error);
  f->now = g0->expires_at;
  g_assert_null (kantor_auth_verify_access (f->auth, g0->access_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_TOKEN_EXPIRED);
  g_clear_error (&error);

  /* The access lifetime is settable; the refresh token still works after
   * its access token expired. */
  kantor_auth_set_access_ttl (f->auth, 60);
  short_lived = refresh (f, g0->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (short_lived->expires_at, ==, f->now + 60);
  g_clear_pointer (&ok, kantor_auth_grant_free);
  ok = kantor_auth_verify_access (f->auth, short_lived->access_token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ok->expires_at, ==, f->now + 60);
  f->now += 60;
  g_assert_null (kantor_auth_verify_access (f->auth, short_lived->access_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_TOKEN_EXPIRED);
}

static void
test_dev_tokens (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) alice = NULL;
  g_autoptr(KantorAuthGrant) admin = NULL;
  g_autoptr(KantorAuthGrant) real = NULL;
  g_autoptr(KantorAuthGrant) g0 = NULL;

  g_assert_true (kantor_auth_get_dev_mode (f->auth));

  alice = kantor_auth_verify_access (f->auth, "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (alice->username, ==, "alice");
  g_assert_cmpstr (alice->user_id, ==, "dev:alice");
  g_assert_true (kantor_auth_grant_has_permission (alice, "read"));
  g_assert_true (kantor_auth_grant_has_permission (alice, "trade"));
  g_assert_false (kantor_auth_grant_has_permission (alice, "admin"));
  g_assert_cmpint (alice->expires_at, >, f->now);

  /* A test token named "admin" is not an administrator. */
  admin = kantor_auth_verify_access (f->auth, "admin", &error);
  g_assert_no_error (error);
  g_assert_false (kantor_auth_grant_has_permission (admin, "admin"));

  /* Outside the user-name rule, or shaped like a JWT: refused. */
  g_assert_null (kantor_auth_verify_access (f->auth, "not a name", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_null (kantor_auth_verify_access (f->auth, "aaa.bbb.ccc", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* Real tokens keep working, with all their checks. */
  g0 = login_ok (f, TRADER, TRADER_PASSWORD);
  real = kantor_auth_verify_access (f->auth, g0->access_token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (real->user_id, ==, "trader-id");
  g_assert_null (kantor_auth_verify_access (f->auth, g0->refresh_token, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN);
}

static gboolean
count_spins (gpointer data)
{
  guint *spins = data;

  (*spins)++;
  return G_SOURCE_CONTINUE;
}

static void
test_add_user (Fixture       *f,
               gconstpointer  data)
{
  static const char * const bad_names[] = {
    "", "a b", "a/b", "caf\xc3\xa9", "semi;colon", "new\nline",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  /* 65 */
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorAuthGrant) grant = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      g_assert_false (kantor_auth_add_user (f->auth, bad_names[i], "long enough pw", &error));
      g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_USERNAME);
      g_clear_error (&error);
    }
  g_assert_false (kantor_auth_add_user (f->auth, NULL, "long enough pw", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_USERNAME);
  g_clear_error (&error);
  g_assert_true (kantor_auth_username_is_valid (
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));  /* 64 */
  g_assert_true (kantor_auth_username_is_valid ("a.b-c_D9"));

  /* Duplicates, in any case, are refused before any hashing. */
  g_assert_false (kantor_auth_add_user (f->auth, TRADER, "long enough pw", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_USER_EXISTS);
  g_clear_error (&error);
  g_assert_false (kantor_auth_add_user (f->auth, "TRADER", "long enough pw", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_USER_EXISTS);
  g_clear_error (&error);

  g_assert_false (kantor_auth_add_user (f->auth, "carol", "short", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_PASSWORD);
  g_clear_error (&error);
  g_assert_false (kantor_auth_add_user (f->auth, "carol", NULL, &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_PASSWORD);
  g_clear_error (&error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM users"), ==, 1);

  /* A real one: 600 000 rounds, read and trade, and it can log in. */
  g_assert_true (kantor_auth_add_user (f->auth, "carol", "carol's password", &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM users WHERE username = 'carol' AND "
                             "permissions = '[\"read\",\"trade\"]' AND "
                             "password_hash LIKE 'pbkdf2-sha256$600000$%'"), ==, 1);
  g_assert_false (kantor_auth_add_user (f->auth, "Carol", "another password", &error));
  g_assert_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_USER_EXISTS);
  g_clear_error (&error);

  /* 600 000 rounds take a good fraction of a second: the main loop must
   * keep turning meanwhile (the hash runs in a worker thread). */
  {
    g_autoptr(GAsyncResult) result = NULL;
    guint spins = 0;
    guint idle = g_idle_add (count_spins, &spins);

    kantor_auth_login_async (f->auth, "carol", "carol's password", "127.0.0.1", NULL,
                             result_cb, &result);
    g_assert_cmpuint (spins, ==, 0);
    WAIT_UNTIL (result != NULL);
    g_source_remove (idle);
    g_assert_cmpuint (spins, >, 50);
    grant = kantor_auth_login_finish (f->auth, result, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpstr (grant->username, ==, "carol");
  g_assert_false (kantor_auth_grant_has_permission (grant, "admin"));
}

static void
test_password_hash (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = kantor_password_hash_with_iterations ("pässwörd", 1000, &error);
  g_autofree char *b = kantor_password_hash_with_iterations ("pässwörd", 1000, &error);
  g_autofree char *dummy = kantor_password_dummy_hash ();
  g_autofree char *tampered = NULL;
  g_auto(GStrv) parts = NULL;

  g_assert_no_error (error);
  /* Salted: the same password hashes differently each time. */
  g_assert_cmpstr (a, !=, b);
  parts = g_strsplit (a, "$", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_cmpstr (parts[0], ==, "pbkdf2-sha256");
  g_assert_cmpstr (parts[1], ==, "1000");

  g_assert_true (kantor_password_verify ("pässwörd", a, &error));
  g_assert_true (kantor_password_verify ("pässwörd", b, &error));
  g_assert_false (kantor_password_verify ("passwort", a, &error));
  g_assert_false (kantor_password_verify ("", a, &error));
  g_assert_no_error (error);

  g_assert_true (g_str_has_prefix (dummy, "pbkdf2-sha256$600000$"));

  /* Malformed hashes are errors, not mismatches. */
  g_assert_false (kantor_password_verify ("x", "plain", &error));
  g_assert_error (error, KANTOR_PASSWORD_ERROR, KANTOR_PASSWORD_ERROR_MALFORMED_HASH);
  g_clear_error (&error);
  tampered = g_strdup_printf ("pbkdf2-sha256$0$%s$%s", parts[2], parts[3]);
  g_assert_false (kantor_password_verify ("pässwörd", tampered, &error));
  g_assert_error (error, KANTOR_PASSWORD_ERROR, KANTOR_PASSWORD_ERROR_MALFORMED_HASH);
  g_clear_error (&error);
  g_free (tampered);
  tampered = g_strdup_printf ("pbkdf2-sha256$1000$%s$%s!", parts[2], parts[3]);
  g_assert_false (kantor_password_verify ("pässwörd", tampered, &error));
  g_assert_error (error, KANTOR_PASSWORD_ERROR, KANTOR_PASSWORD_ERROR_MALFORMED_HASH);
  g_clear_error (&error);

  /* Against OpenSSL's own PKCS5_PBKDF2_HMAC(): passwords around the HMAC
   * block size (64 bytes: longer keys are hashed first), random salts and
   * iteration counts. */
  for (guint round = 0; round < 200; round++)
    {
      gsize password_length = round < 130 ? round : (gsize) g_test_rand_int_range (0, 300);
      g_autofree char *password = g_malloc (password_length + 1);
      guint iterations = (guint) g_test_rand_int_range (1, 40);
      guint8 salt[16];
      guint8 expected[32];
      g_autofree char *salt64 = NULL;
      g_autofree char *hash64 = NULL;
      g_autofree char *encoded = NULL;

      for (gsize i = 0; i < password_length; i++)
        password[i] = (char) g_test_rand_int_range (1, 256);
      password[password_length] = '\0';
      for (gsize i = 0; i < sizeof salt; i++)
        salt[i] = (guint8) g_test_rand_int_range (0, 256);

      g_assert_cmpint (PKCS5_PBKDF2_HMAC (password, (int) password_length, salt, sizeof salt,
                                          (int) iterations, EVP_sha256 (), sizeof expected,
                                          expected), ==, 1);
      salt64 = g_base64_encode (salt, sizeof salt);
      hash64 = g_base64_encode (expected, sizeof expected);
      encoded = g_strdup_printf ("pbkdf2-sha256$%u$%s$%s", iterations, salt64, hash64);
      g_assert_true (kantor_password_verify (password, encoded, &error));
      g_assert_no_error (error);

      g_free (hash64);
      g_free (encoded);
      expected[round % sizeof expected] ^= 0x01;
      hash64 = g_base64_encode (expected, sizeof expected);
      encoded = g_strdup_printf ("pbkdf2-sha256$%u$%s$%s", iterations, salt64, hash64);
      g_assert_false (kantor_password_verify (password, encoded, &error));
      g_assert_no_error (error);
    }

  /* A vector computed by an independent PBKDF2-HMAC-SHA256: password
   * "password", salt "kantor-salt-0001", 2 iterations. */
  g_assert_true (kantor_password_verify (
    "password", "pbkdf2-sha256$2$a2FudG9yLXNhbHQtMDAwMQ==$"
    "T3Yeg/pNDpdD6+KFuNJzmuzdjaUythv6Wm07Pjh4oWA=", &error));
  g_assert_no_error (error);
  g_assert_false (kantor_password_verify (
    "Password", "pbkdf2-sha256$2$a2FudG9yLXNhbHQtMDAwMQ==$"
    "T3Yeg/pNDpdD6+KFuNJzmuzdjaUythv6Wm07Pjh4oWA=", &error));
  g_assert_no_error (error);
}

/* Lengths past getrandom's 256-byte single-call guarantee, two draws that
 * differ, and every byte value about equally likely (a counting bound some
 * six standard deviations wide: a broken source fails it, a fair one never
 * does in practice). */
static void
test_random_bytes (void)
{
  static const gsize lengths[] = { 0, 1, 31, 256, 257, 4096, 65536 };
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = g_malloc0 (65536);
  g_autofree char *hex = NULL;
  g_autofree char *password = NULL;
  guint8 a[32], b[32];
  guint counts[256] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_assert_true (kantor_random_bytes (big, lengths[i], &error));
      g_assert_no_error (error);
    }
  g_assert_true (kantor_random_bytes (NULL, 0, &error));

  g_assert_true (kantor_random_bytes (a, sizeof a, &error));
  g_assert_true (kantor_random_bytes (b, sizeof b, &error));
  g_assert_true (memcmp (a, b, sizeof a) != 0);

  memset (big, 0, 65536);
  g_assert_true (kantor_random_bytes (big, 65536, &error));
  for (gsize i = 0; i < 65536; i++)
    counts[big[i]]++;
  for (guint v = 0; v < 256; v++)
    g_assert_cmpuint (counts[v], >, 150);
  for (guint v = 0; v < 256; v++)
    g_assert_cmpuint (counts[v], <, 370);

  hex = kantor_random_hex (16, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (hex), ==, 32);
  for (guint i = 0; i < 32; i++)
    g_assert_true (g_ascii_isxdigit (hex[i]) && !g_ascii_isupper (hex[i]));

  password = kantor_random_password (100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (password), ==, 100);
  for (guint i = 0; i < 100; i++)
    g_assert_true (g_ascii_isalnum (password[i]));
}

static void *
counting_malloc (size_t      size,
                 const char *file,
                 int         line)
{
  return g_malloc (size);
}

static void *
counting_realloc (void       *p,
                  size_t      size,
                  const char *file,
                  int         line)
{
  return g_realloc (p, size);
}

static void
counting_free (void       *p,
               const char *file,
               int         line)
{
  g_free (p);
}

/* kantord's whole authentication life (first start: secret, admin and its
 * PBKDF2; logins, verification, refresh, logout) needs SHA-256 and constant
 * time comparisons from OpenSSL, never its configuration, providers or DRBG:
 * those cost some 2 MB of an idle daemon. OpenSSL lets the allocator be
 * replaced only until its first allocation, which any of them would make. */
static void
test_openssl_untouched (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KantorAuthGrant) grant = NULL;
      g_autoptr(KantorAuthGrant) verified = NULL;
      g_autoptr(KantorAuthGrant) rotated = NULL;
      Fixture f = { 0 };
      guint8 mac[KANTOR_HMAC_SHA256_LENGTH];

      fixture_setup (&f, NULL);
      f.auth = new_auth (&f, FALSE, &error);
      g_assert_no_error (error);
      g_assert_nonnull (kantor_auth_get_initial_password_path (f.auth));
      add_trader (&f);

      grant = login_ok (&f, TRADER, TRADER_PASSWORD);
      verified = kantor_auth_verify_access (f.auth, grant->access_token, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (verified->username, ==, TRADER);
      rotated = refresh (&f, grant->refresh_token, &error);
      g_assert_no_error (error);
      g_assert_nonnull (rotated);
      g_assert_true (logout (&f, NULL, rotated->refresh_token, &error));
      g_assert_no_error (error);
      g_assert_true (kantor_hmac_sha256 ((const guint8 *) "k", 1, (const guint8 *) "m", 1, mac));

      g_assert_cmpint (CRYPTO_set_mem_functions (counting_malloc, counting_realloc,
                                                 counting_free), ==, 1);
      fixture_teardown (&f, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, (GTestSubprocessFlags) 0);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, setup, dev, func) \
  g_test_add ("/kantor/api/auth/" path, Fixture, GINT_TO_POINTER (dev), setup, func, \
              fixture_teardown)

  ADD ("first-start", fixture_setup, FALSE, test_first_start);
  ADD ("env-secret-too-short", fixture_setup, FALSE, test_env_secret_too_short);
  ADD ("env-secret-used", fixture_setup, FALSE, test_env_secret_used);
  ADD ("secret-file-checks", fixture_setup, FALSE, test_secret_file_checks);
  ADD ("login", fixture_setup_with_trader, FALSE, test_login);
  ADD ("rate-limit-user", fixture_setup_with_trader, FALSE, test_rate_limit_user);
  ADD ("rate-limit-burst", fixture_setup_with_trader, FALSE, test_rate_limit_burst);
  ADD ("rate-limit-address", fixture_setup_with_trader, FALSE, test_rate_limit_address);
  ADD ("refresh-rotation", fixture_setup_with_trader, FALSE, test_refresh_rotation);
  ADD ("refresh-hashed-and-expiring", fixture_setup_with_trader, FALSE,
       test_refresh_hashed_and_expiring);
  ADD ("logout", fixture_setup_with_trader, FALSE, test_logout);
  ADD ("token-types", fixture_setup_with_trader, FALSE, test_token_types);
  ADD ("dev-tokens", fixture_setup_with_trader, TRUE, test_dev_tokens);
  ADD ("add-user", fixture_setup_with_trader, FALSE, test_add_user);
  g_test_add_func ("/kantor/api/auth/password-hash", test_password_hash);
  g_test_add_func ("/kantor/api/auth/random-bytes", test_random_bytes);
  g_test_add_func ("/kantor/api/auth/openssl-untouched", test_openssl_untouched);

#undef ADD

  return g_test_run ();
}
