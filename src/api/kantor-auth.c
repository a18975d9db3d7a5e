/* kantor-auth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include "kantor-auth.h"
#include "kantor-fileutil.h"
#include "kantor-jwt.h"
#include "kantor-password.h"

#define MIN_SECRET_LENGTH       32
#define GENERATED_SECRET_BYTES  64
#define INITIAL_PASSWORD_LENGTH 24      /* ~143 bits from [A-Za-z0-9] */
#define MAX_PASSWORD_LENGTH     1024
#define DEFAULT_ACCESS_TTL      (24 * 60 * 60)
#define DEFAULT_REFRESH_TTL     (30 * 24 * 60 * 60)
/* Above this many tracked keys, expired ones are swept on each insert. */
#define ATTEMPT_TABLE_SWEEP     4096

struct _KantorAuth
{
  GObject              parent_instance;

  KantorStore         *store;
  char                *state_dir;
  gboolean             dev_mode;

  GBytes              *secret;        /* zeroed when freed */
  char                *dummy_hash;
  char                *initial_password_path;

  gint64               access_ttl;
  gint64               refresh_ttl;

  KantorAuthClockFunc  clock;
  gpointer             clock_data;

  /* Key -> GArray of gint64 attempt times, oldest first. Usernames are
   * case-folded like the database compares them. Main thread only. */
  GHashTable          *user_attempts;
  GHashTable          *address_attempts;
};

G_DEFINE_FINAL_TYPE (KantorAuth, kantor_auth, G_TYPE_OBJECT)

G_DEFINE_QUARK (kantor-auth-error-quark, kantor_auth_error)

static const char * const admin_permissions[] = { "read", "trade", "admin", NULL };
static const char * const user_permissions[] = { "read", "trade", NULL };

/* ---------------------------------------------------------------------- */
/* Grants and small helpers                                               */

void
kantor_auth_grant_free (KantorAuthGrant *grant)
{
  if (grant == NULL)
    return;

  g_free (grant->user_id);
  g_free (grant->username);
  g_strfreev (grant->permissions);
  if (grant->access_token != NULL)
    OPENSSL_cleanse (grant->access_token, strlen (grant->access_token));
  g_free (grant->access_token);
  if (grant->refresh_token != NULL)
    OPENSSL_cleanse (grant->refresh_token, strlen (grant->refresh_token));
  g_free (grant->refresh_token);
  g_free (grant);
}

gboolean
kantor_auth_grant_has_permission (const KantorAuthGrant *grant,
                                  const char            *permission)
{
  g_return_val_if_fail (grant != NULL, FALSE);
  g_return_val_if_fail (permission != NULL, FALSE);

  return grant->permissions != NULL &&
         g_strv_contains ((const char * const *) grant->permissions, permission);
}

gboolean
kantor_auth_username_is_valid (const char *username)
{
  gsize n = 0;

  if (username == NULL)
    return FALSE;

  for (const char *p = username; *p != '\0'; p++, n++)
    if (n >= 64 ||
        !(g_ascii_isalnum (*p) || *p == '_' || *p == '.' || *p == '-'))
      return FALSE;

  return n >= 1;
}

static void
free_secret_string (char *s)
{
  if (s != NULL)
    {
      OPENSSL_cleanse (s, strlen (s));
      g_free (s);
    }
}

typedef char SecretString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretString, free_secret_string)

static void
free_secret_bytes (gpointer data)
{
  GByteArray *array = data;

  OPENSSL_cleanse (array->data, array->len);
  g_byte_array_unref (array);
}

static GBytes *
secret_bytes_new (const void *data,
                  gsize       length)
{
  GByteArray *array = g_byte_array_sized_new ((guint) length);

  g_byte_array_append (array, data, (guint) length);
  return g_bytes_new_with_free_func (array->data, array->len, free_secret_bytes, array);
}

static char *
token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static gint64
real_clock (gpointer user_data)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gint64
auth_now (KantorAuth *self)
{
  return self->clock (self->clock_data);
}

static char *
permissions_to_json (const char * const *permissions)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; permissions != NULL && permissions[i] != NULL; i++)
    json_array_add_string_element (array, permissions[i]);
  json_node_set_array (node, array);

  return json_to_string (node, FALSE);
}

static char **
permissions_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  JsonNode *root;
  JsonArray *array;

  /* The column has a json_valid CHECK; an unexpected shape grants
   * nothing rather than failing the login. */
  if (json != NULL && json_parser_load_from_data (parser, json, -1, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      array = json_node_get_array (root);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (json_node_get_value_type (element) == G_TYPE_STRING)
            g_ptr_array_add (out, g_strdup (json_node_get_string (element)));
        }
    }

  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* Signs a new access and refresh pair. Pure: safe on the store thread. */
static KantorAuthGrant *
issue_grant (GBytes              *secret,
             const char          *user_id,
             const char          *username,
             const char * const  *permissions,
             gint64               now,
             gint64               access_ttl,
             gint64               refresh_ttl,
             char               **refresh_hash,
             GError             **error)
{
  g_autoptr(KantorAuthGrant) grant = g_new0 (KantorAuthGrant, 1);
  g_autoptr(KantorJwtClaims) claims = kantor_jwt_claims_new ();
  const guint8 *key;
  gsize key_length;

  key = g_bytes_get_data (secret, &key_length);

  grant->user_id = g_strdup (user_id);
  grant->username = g_strdup (username);
  grant->permissions = g_strdupv ((char **) permissions);
  grant->expires_at = now + access_ttl;
  grant->refresh_expires_at = now + refresh_ttl;

  claims->sub = g_strdup (user_id);
  claims->username = g_strdup (username);
  claims->permissions = g_strdupv ((char **) permissions);
  claims->iat = now;

  claims->typ = KANTOR_JWT_ACCESS;
  claims->exp = grant->expires_at;
  claims->jti = kantor_random_hex (16, error);
  if (claims->jti == NULL)
    return NULL;
  grant->access_token = kantor_jwt_encode (key, key_length, claims);

  g_free (claims->jti);
  claims->typ = KANTOR_JWT_REFRESH;
  claims->exp = grant->refresh_expires_at;
  claims->jti = kantor_random_hex (16, error);
  if (claims->jti == NULL)
    return NULL;
  grant->refresh_token = kantor_jwt_encode (key, key_length, claims);

  if (grant->access_token == NULL || grant->refresh_token == NULL)
    {
      g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                           "Signing the tokens failed");
      return NULL;
    }

  *refresh_hash = token_hash (grant->refresh_token);
  return g_steal_pointer (&grant);
}

/* Store errors reach callers as KANTOR_AUTH_ERROR_FAILED, so that a caller
 * deals with one domain. */
static void
task_return_auth_error (GTask  *task,
                        GError *error)
{
  if (error->domain == KANTOR_AUTH_ERROR ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, error);
  else
    {
      g_task_return_new_error (task, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                               "The account store failed: %s", error->message);
      g_error_free (error);
    }
}

/* ---------------------------------------------------------------------- */
/* Store jobs (run on the store thread)                                   */

typedef struct
{
  char  *id;
  char  *username;
  char  *password_hash;
  char **permissions;
} UserRow;

static void
user_row_free (UserRow *row)
{
  g_free (row->id);
  g_free (row->username);
  g_free (row->password_hash);
  g_strfreev (row->permissions);
  g_free (row);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UserRow, user_row_free)

static UserRow *
lookup_user (KantorStore  *store,
             const char   *sql,
             const char   *key,
             GError      **error)
{
  sqlite3_stmt *stmt;
  UserRow *row;
  int rc;

  stmt = kantor_store_prepare (store, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);

  rc = kantor_store_step (store, stmt, error);
  if (rc != SQLITE_ROW)
    return NULL;

  row = g_new0 (UserRow, 1);
  row->id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  row->username = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  row->password_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  row->permissions = permissions_from_json ((const char *) sqlite3_column_text (stmt, 3));
  sqlite3_reset (stmt);

  return row;
}

/* data: the username. Result: a UserRow, or NULL (no error) when unknown. */
static gpointer
find_user_func (KantorStore  *store,
                gpointer      data,
                GError      **error)
{
  return lookup_user (store,
                      "SELECT id, username, password_hash, permissions FROM users "
                      "WHERE username = ?",
                      data, error);
}

static gpointer
count_users_func (KantorStore  *store,
                  gpointer      data,
                  GError      **error)
{
  sqlite3_stmt *stmt;
  gint64 *count = data;

  stmt = kantor_store_prepare (store, "SELECT count(*) FROM users", error);
  if (stmt == NULL || kantor_store_step (store, stmt, error) != SQLITE_ROW)
    return NULL;
  *count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return count;
}

typedef struct
{
  const char         *username;
  const char         *password_hash;
  const char * const *permissions;
  gint64              now;
} NewUser;

static gpointer
insert_user_func (KantorStore  *store,
                  gpointer      data,
                  GError      **error)
{
  NewUser *user = data;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *permissions = permissions_to_json (user->permissions);
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  stmt = kantor_store_prepare (store,
                               "INSERT INTO users (id, username, password_hash, permissions, "
                               "created_at) VALUES (?, ?, ?, ?, ?)",
                               error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, user->username, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, user->password_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, permissions, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, user->now);

  if (kantor_store_step (store, stmt, &local_error) == 0)
    {
      sqlite3_clear_bindings (stmt);
      if (g_error_matches (local_error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CONSTRAINT))
        g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_USER_EXISTS,
                     "A user named \"%s\" already exists", user->username);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return g_steal_pointer (&id);
}

static gboolean
insert_refresh_token (KantorStore  *store,
                      const char   *hash,
                      const char   *user_id,
                      gint64        issued_at,
                      gint64        expires_at,
                      GError      **error)
{
  sqlite3_stmt *stmt;

  stmt = kantor_store_prepare (store,
                               "INSERT INTO refresh_tokens (token_hash, user_id, issued_at, "
                               "expires_at) VALUES (?, ?, ?, ?)",
                               error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, issued_at);
  sqlite3_bind_int64 (stmt, 4, expires_at);
  if (kantor_store_step (store, stmt, error) == 0)
    return FALSE;

  /* Expired rows can never be presented successfully again: keep the
   * table from growing without bound. */
  stmt = kantor_store_prepare (store, "DELETE FROM refresh_tokens WHERE expires_at <= ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, issued_at);

  return kantor_store_step (store, stmt, error) != 0;
}

typedef struct
{
  char   *hash;
  char   *user_id;
  gint64  issued_at;
  gint64  expires_at;
} StoreToken;

static void
store_token_free (gpointer data)
{
  StoreToken *token = data;

  g_free (token->hash);
  g_free (token->user_id);
  g_free (token);
}

static gpointer
store_token_func (KantorStore  *store,
                  gpointer      data,
                  GError      **error)
{
  StoreToken *token = data;

  if (!insert_refresh_token (store, token->hash, token->user_id,
                             token->issued_at, token->expires_at, error))
    return NULL;

  return token;
}

typedef struct
{
  GBytes *secret;
  char   *presented_hash;
  char   *user_id;          /* sub of the presented token */
  gint64  now;
  gint64  access_ttl;
  gint64  refresh_ttl;
} RefreshData;

static void
refresh_data_free (gpointer data)
{
  RefreshData *refresh = data;

  g_bytes_unref (refresh->secret);
  g_free (refresh->presented_hash);
  g_free (refresh->user_id);
  g_free (refresh);
}

static gboolean
revoke_all_for_user (KantorStore  *store,
                     const char   *user_id,
                     gint64        now,
                     GError      **error)
{
  sqlite3_stmt *stmt;

  stmt = kantor_store_prepare (store,
                               "UPDATE refresh_tokens SET revoked_at = ? "
                               "WHERE user_id = ? AND revoked_at IS NULL",
                               error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_TRANSIENT);

  return kantor_store_step (store, stmt, error) != 0;
}

static gboolean
refresh_in_transaction (KantorStore       *store,
                        RefreshData       *refresh,
                        KantorAuthGrant  **grant_out,
                        GError           **error)
{
  g_autoptr(UserRow) user = NULL;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *new_hash = NULL;
  sqlite3_stmt *stmt;
  gboolean revoked;
  gint64 expires_at;
  int rc;

  stmt = kantor_store_prepare (store,
                               "SELECT user_id, expires_at, revoked_at FROM refresh_tokens "
                               "WHERE token_hash = ?",
                               error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, refresh->presented_hash, -1, SQLITE_TRANSIENT);

  rc = kantor_store_step (store, stmt, error);
  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                           "The refresh token is unknown or was revoked");
      return FALSE;
    }

  owner = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  expires_at = sqlite3_column_int64 (stmt, 1);
  revoked = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
  sqlite3_reset (stmt);

  if (g_strcmp0 (owner, refresh->user_id) != 0)
    {
      g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                           "The refresh token is unknown or was revoked");
      return FALSE;
    }

  if (revoked)
    {
      /* A rotated-out token came back: either its holder or whoever stole
       * it is replaying it. End every session of the user; the genuine one
       * logs in again. The revocation is committed although the request
       * fails. */
      g_message ("A revoked refresh token of user %s was presented again; "
                 "revoking all of the user's refresh tokens", owner);
      if (!revoke_all_for_user (store, owner, refresh->now, error))
        return FALSE;
      *grant_out = NULL;
      return TRUE;
    }

  if (expires_at <= refresh->now)
    {
      g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_TOKEN_EXPIRED,
                           "The refresh token has expired");
      return FALSE;
    }

  user = lookup_user (store,
                      "SELECT id, username, password_hash, permissions FROM users WHERE id = ?",
                      owner, error);
  if (user == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                             "The refresh token's user no longer exists");
      return FALSE;
    }

  stmt = kantor_store_prepare (store,
                               "UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ?",
                               error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, refresh->now);
  sqlite3_bind_text (stmt, 2, refresh->presented_hash, -1, SQLITE_TRANSIENT);
  if (kantor_store_step (store, stmt, error) == 0)
    return FALSE;

  /* Permissions come from the user's row, not the old token: a change
   * takes effect at the next refresh. */
  grant = issue_grant (refresh->secret, user->id, user->username,
                       (const char * const *) user->permissions, refresh->now,
                       refresh->access_ttl, refresh->refresh_ttl, &new_hash, error);
  if (grant == NULL)
    return FALSE;

  if (!insert_refresh_token (store, new_hash, user->id, refresh->now,
                             grant->refresh_expires_at, error))
    return FALSE;

  *grant_out = g_steal_pointer (&grant);
  return TRUE;
}

static gpointer
refresh_func (KantorStore  *store,
              gpointer      data,
              GError      **error)
{
  RefreshData *refresh = data;
  KantorAuthGrant *grant = NULL;

  if (!kantor_store_begin (store, error))
    return NULL;

  if (!refresh_in_transaction (store, refresh, &grant, error))
    {
      kantor_store_rollback (store);
      return NULL;
    }

  if (!kantor_store_commit (store, error))
    {
      kantor_auth_grant_free (grant);
      return NULL;
    }

  if (grant == NULL)
    g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                         "The refresh token is unknown or was revoked");

  return grant;
}

typedef struct
{
  char   *user_id;
  char   *hash;
  gint64  now;
} LogoutData;

static void
logout_data_free (gpointer data)
{
  LogoutData *logout = data;

  g_free (logout->user_id);
  g_free (logout->hash);
  g_free (logout);
}

static gpointer
logout_func (KantorStore  *store,
             gpointer      data,
             GError      **error)
{
  LogoutData *logout = data;
  sqlite3_stmt *stmt;

  if (logout->hash == NULL)
    return revoke_all_for_user (store, logout->user_id, logout->now, error) ? logout : NULL;

  /* With a user id, only that user's token: a client cannot revoke someone
   * else's session by presenting a token it happened to see. */
  stmt = kantor_store_prepare (store,
                               "UPDATE refresh_tokens SET revoked_at = ? "
                               "WHERE token_hash = ? AND revoked_at IS NULL "
                               "AND (?3 IS NULL OR user_id = ?3)",
                               error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, logout->now);
  sqlite3_bind_text (stmt, 2, logout->hash, -1, SQLITE_TRANSIENT);
  if (logout->user_id != NULL)
    sqlite3_bind_text (stmt, 3, logout->user_id, -1, SQLITE_TRANSIENT);

  if (kantor_store_step (store, stmt, error) == 0)
    return NULL;

  return logout;
}

/* ---------------------------------------------------------------------- */
/* Rate limiting                                                          */

static void
attempts_prune (GArray *times,
                gint64  now)
{
  guint expired = 0;

  while (expired < times->len &&
         g_array_index (times, gint64, expired) <= now - KANTOR_AUTH_FAILURE_WINDOW)
    expired++;
  if (expired > 0)
    g_array_remove_range (times, 0, expired);
}

/* Seconds until one more attempt is allowed under @key; 0 when it is. */
static gint64
attempts_wait (GHashTable *table,
               const char *key,
               gint64      now)
{
  GArray *times;

  if (key == NULL || (times = g_hash_table_lookup (table, key)) == NULL)
    return 0;

  attempts_prune (times, now);
  if (times->len == 0)
    {
      g_hash_table_remove (table, key);
      return 0;
    }

  if (times->len < KANTOR_AUTH_MAX_FAILURES)
    return 0;

  return MAX (1, g_array_index (times, gint64, 0) + KANTOR_AUTH_FAILURE_WINDOW - now);
}

static void
attempts_record (GHashTable *table,
                 const char *key,
                 gint64      now)
{
  GArray *times;

  if (key == NULL)
    return;

  /* Many one-off keys (address scans, random usernames) must not grow the
   * table for ever. */
  if (g_hash_table_size (table) >= ATTEMPT_TABLE_SWEEP)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, table);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          attempts_prune (value, now);
          if (((GArray *) value)->len == 0)
            g_hash_table_iter_remove (&iter);
        }
    }

  times = g_hash_table_lookup (table, key);
  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (table, g_strdup (key), times);
    }

  g_array_append_val (times, now);
}

/* Takes back one attempt recorded at @when (it turned out a success). */
static void
attempts_forget (GHashTable *table,
                 const char *key,
                 gint64      when)
{
  GArray *times;

  if (key == NULL || (times = g_hash_table_lookup (table, key)) == NULL)
    return;

  for (guint i = times->len; i > 0; i--)
    if (g_array_index (times, gint64, i - 1) == when)
      {
        g_array_remove_index (times, i - 1);
        break;
      }

  if (times->len == 0)
    g_hash_table_remove (table, key);
}

/* ---------------------------------------------------------------------- */
/* Login                                                                  */

typedef struct
{
  char     *username;
  char     *password;      /* zeroed when freed */
  char     *user_key;      /* NULL when the name cannot exist */
  char     *address_key;
  gint64    attempt_time;

  UserRow    *user;
  const char *dummy_hash;   /* the KantorAuth's, alive as long as the task */
  gboolean    matched;

  KantorAuthGrant *grant;
} LoginData;

static void
login_data_free (gpointer data)
{
  LoginData *login = data;

  g_free (login->username);
  free_secret_string (login->password);
  g_free (login->user_key);
  g_free (login->address_key);
  g_clear_pointer (&login->user, user_row_free);
  g_clear_pointer (&login->grant, kantor_auth_grant_free);
  g_free (login);
}

static void
return_bad_credentials (GTask *task)
{
  /* One message whether the user exists or not. */
  g_task_return_new_error (task, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS,
                           "The user name or password is wrong");
}

static void
login_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoginData *login = g_task_get_task_data (task);
  GError *error = NULL;

  kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    {
      task_return_auth_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&login->grant),
                         (GDestroyNotify) kantor_auth_grant_free);
}

static void
verify_password_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  LoginData *login = task_data;
  GError *error = NULL;
  const char *hash;

  /* An unknown user costs one PBKDF2 too: timing says nothing about who
   * has an account. */
  hash = login->user != NULL ? login->user->password_hash : login->dummy_hash;
  login->matched = kantor_password_verify (login->password, hash, &error) &&
                   login->user != NULL;

  /* The password is not needed any more. */
  OPENSSL_cleanse (login->password, strlen (login->password));

  if (error != NULL)
    {
      g_warning ("The password hash of user %s is unreadable: %s",
                 login->user != NULL ? login->user->username : "(none)", error->message);
      g_clear_error (&error);
      login->matched = FALSE;
    }

  g_task_return_boolean (task, TRUE);
}

static void
login_verified_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KantorAuth *self = g_task_get_source_object (task);
  LoginData *login = g_task_get_task_data (task);
  g_autofree char *refresh_hash = NULL;
  GError *error = NULL;
  GCancellable *cancellable;
  StoreToken *token;
  gint64 now;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      task_return_auth_error (task, error);
      return;
    }

  if (!login->matched)
    {
      /* No user name in the log: people type passwords into that field. */
      g_debug ("A login failed");
      return_bad_credentials (task);
      return;
    }

  /* This attempt was counted up front; it was not a failure after all. */
  g_hash_table_remove (self->user_attempts, login->user_key);
  attempts_forget (self->address_attempts, login->address_key, login->attempt_time);

  now = auth_now (self);
  login->grant = issue_grant (self->secret, login->user->id, login->user->username,
                              (const char * const *) login->user->permissions,
                              now, self->access_ttl, self->refresh_ttl,
                              &refresh_hash, &error);
  if (login->grant == NULL)
    {
      task_return_auth_error (task, error);
      return;
    }

  token = g_new0 (StoreToken, 1);
  token->hash = g_steal_pointer (&refresh_hash);
  token->user_id = g_strdup (login->user->id);
  token->issued_at = now;
  token->expires_at = login->grant->refresh_expires_at;

  cancellable = g_task_get_cancellable (task);
  kantor_store_run_async (self->store, store_token_func, token, store_token_free,
                          cancellable, login_stored_cb, g_steal_pointer (&task));
}

static void
login_found_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GTask) verify = NULL;
  KantorAuth *self = g_task_get_source_object (task);
  LoginData *login = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  login->user = kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    {
      task_return_auth_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  /* No source object: the pool thread may drop its reference to this task
   * last, and must not be the one to finalize the KantorAuth. */
  login->dummy_hash = self->dummy_hash;
  verify = g_task_new (NULL, cancellable, login_verified_cb, g_steal_pointer (&task));
  g_task_set_source_tag (verify, verify_password_thread);
  g_task_set_task_data (verify, login, NULL);
  g_task_run_in_thread (verify, verify_password_thread);
}

void
kantor_auth_login_async (KantorAuth          *self,
                         const char          *username,
                         const char          *password,
                         const char          *peer_address,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoginData *login;
  gint64 now, wait;

  g_return_if_fail (KANTOR_IS_AUTH (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_auth_login_async);

  now = auth_now (self);
  login = g_new0 (LoginData, 1);
  login->username = g_strdup (username != NULL ? username : "");
  login->password = g_strdup (password != NULL ? password : "");
  login->attempt_time = now;
  if (kantor_auth_username_is_valid (login->username))
    login->user_key = g_utf8_casefold (login->username, -1);
  if (peer_address != NULL && *peer_address != '\0')
    login->address_key = g_strdup (peer_address);
  g_task_set_task_data (task, login, login_data_free);

  wait = MAX (attempts_wait (self->user_attempts, login->user_key, now),
              attempts_wait (self->address_attempts, login->address_key, now));
  if (wait > 0)
    {
      g_task_return_new_error (task, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_RATE_LIMITED,
                               "Too many failed logins; try again in %" G_GINT64_FORMAT
                               " seconds", wait);
      return;
    }

  /* Counted now, before the outcome is known, so that a burst of parallel
   * attempts cannot all slip in while the first ones are still hashing. A
   * success takes its attempt back. */
  attempts_record (self->user_attempts, login->user_key, now);
  attempts_record (self->address_attempts, login->address_key, now);

  /* A name outside the rule, or an absurd password, cannot match: no need
   * to hide anything about it. */
  if (login->user_key == NULL || *login->password == '\0' ||
      strlen (login->password) > MAX_PASSWORD_LENGTH)
    {
      return_bad_credentials (task);
      return;
    }

  kantor_store_run_full_async (self->store, find_user_func, g_strdup (login->username), g_free,
                               (GDestroyNotify) user_row_free, cancellable, login_found_cb,
                               g_steal_pointer (&task));
}

KantorAuthGrant *
kantor_auth_login_finish (KantorAuth    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (KANTOR_IS_AUTH (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kantor_auth_login_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------------- */
/* Tokens                                                                 */

static void
set_jwt_error (GError **error,
               GError  *jwt_error)
{
  if (g_error_matches (jwt_error, KANTOR_JWT_ERROR, KANTOR_JWT_ERROR_EXPIRED))
    g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_TOKEN_EXPIRED,
                         jwt_error->message);
  else
    g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                         jwt_error->message);
}

KantorAuthGrant *
kantor_auth_verify_access (KantorAuth  *self,
                           const char  *token,
                           GError     **error)
{
  g_autoptr(KantorJwtClaims) claims = NULL;
  g_autoptr(GError) local_error = NULL;
  KantorAuthGrant *grant;
  const guint8 *key;
  gsize key_length;

  g_return_val_if_fail (KANTOR_IS_AUTH (self), NULL);

  if (token == NULL || *token == '\0')
    {
      g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                           "No token was given");
      return NULL;
    }

  if (!kantor_jwt_looks_like_jwt (token))
    {
      if (!self->dev_mode || !kantor_auth_username_is_valid (token))
        {
          g_set_error_literal (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                               self->dev_mode
                               ? "The token is neither a JWT nor a valid test user name"
                               : "The token is malformed");
          return NULL;
        }

      /* Dev mode: the token names the user (PROTOCOL §3.5). */
      grant = g_new0 (KantorAuthGrant, 1);
      grant->user_id = g_strconcat ("dev:", token, NULL);
      grant->username = g_strdup (token);
      grant->permissions = g_strdupv ((char **) user_permissions);
      grant->expires_at = auth_now (self) + self->access_ttl;
      return grant;
    }

  key = g_bytes_get_data (self->secret, &key_length);
  claims = kantor_jwt_verify (key, key_length, token, KANTOR_JWT_ACCESS, auth_now (self),
                              &local_error);
  if (claims == NULL)
    {
      set_jwt_error (error, local_error);
      return NULL;
    }

  grant = g_new0 (KantorAuthGrant, 1);
  grant->user_id = g_steal_pointer (&claims->sub);
  grant->username = g_steal_pointer (&claims->username);
  grant->permissions = g_steal_pointer (&claims->permissions);
  grant->expires_at = claims->exp;

  return grant;
}

static void
refresh_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KantorAuthGrant *grant;
  GError *error = NULL;

  grant = kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    {
      task_return_auth_error (task, error);
      return;
    }

  g_task_return_pointer (task, grant, (GDestroyNotify) kantor_auth_grant_free);
}

void
kantor_auth_refresh_async (KantorAuth          *self,
                           const char          *refresh_token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(KantorJwtClaims) claims = NULL;
  g_autoptr(GError) local_error = NULL;
  RefreshData *refresh;
  const guint8 *key;
  gsize key_length;
  gint64 now;

  g_return_if_fail (KANTOR_IS_AUTH (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_auth_refresh_async);

  now = auth_now (self);
  key = g_bytes_get_data (self->secret, &key_length);
  claims = kantor_jwt_verify (key, key_length, refresh_token, KANTOR_JWT_REFRESH, now,
                              &local_error);
  if (claims == NULL)
    {
      GError *error = NULL;

      set_jwt_error (&error, local_error);
      g_task_return_error (task, error);
      return;
    }

  refresh = g_new0 (RefreshData, 1);
  refresh->secret = g_bytes_ref (self->secret);
  refresh->presented_hash = token_hash (refresh_token);
  refresh->user_id = g_steal_pointer (&claims->sub);
  refresh->now = now;
  refresh->access_ttl = self->access_ttl;
  refresh->refresh_ttl = self->refresh_ttl;

  kantor_store_run_full_async (self->store, refresh_func, refresh, refresh_data_free,
                               (GDestroyNotify) kantor_auth_grant_free, cancellable,
                               refresh_done_cb, g_steal_pointer (&task));
}

KantorAuthGrant *
kantor_auth_refresh_finish (KantorAuth    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (KANTOR_IS_AUTH (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kantor_auth_refresh_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
logout_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    task_return_auth_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
kantor_auth_logout_async (KantorAuth          *self,
                          const char          *user_id,
                          const char          *refresh_token,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LogoutData *logout;

  g_return_if_fail (KANTOR_IS_AUTH (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_auth_logout_async);

  if (user_id == NULL && refresh_token == NULL)
    {
      g_task_return_new_error (task, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_TOKEN,
                               "Nothing to log out: neither a user nor a refresh token");
      return;
    }

  logout = g_new0 (LogoutData, 1);
  logout->user_id = g_strdup (user_id);
  logout->hash = refresh_token != NULL ? token_hash (refresh_token) : NULL;
  logout->now = auth_now (self);

  kantor_store_run_async (self->store, logout_func, logout, logout_data_free, cancellable,
                          logout_done_cb, g_steal_pointer (&task));
}

gboolean
kantor_auth_logout_finish (KantorAuth    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (KANTOR_IS_AUTH (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kantor_auth_logout_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---------------------------------------------------------------------- */
/* Users                                                                  */

static gboolean
create_user (KantorAuth          *self,
             const char          *username,
             const char          *password,
             const char * const  *permissions,
             GError             **error)
{
  g_autofree char *hash = NULL;
  g_autofree char *id = NULL;
  g_autoptr(UserRow) existing = NULL;
  g_autoptr(GError) local_error = NULL;
  NewUser user;

  /* Cheap check first: a duplicate should not cost a PBKDF2. */
  existing = kantor_store_run_sync (self->store, find_user_func, (gpointer) username,
                                    &local_error);
  if (local_error != NULL)
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                   "The account store failed: %s", local_error->message);
      return FALSE;
    }
  if (existing != NULL)
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_USER_EXISTS,
                   "A user named \"%s\" already exists", existing->username);
      return FALSE;
    }

  hash = kantor_password_hash (password, &local_error);
  if (hash == NULL)
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                   "Hashing the password failed: %s", local_error->message);
      return FALSE;
    }

  user.username = username;
  user.password_hash = hash;
  user.permissions = permissions;
  user.now = g_get_real_time () / G_USEC_PER_SEC;

  id = kantor_store_run_sync (self->store, insert_user_func, &user, &local_error);
  if (id == NULL)
    {
      if (local_error->domain == KANTOR_AUTH_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                     "The account store failed: %s", local_error->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
kantor_auth_add_user (KantorAuth  *self,
                      const char  *username,
                      const char  *password,
                      GError     **error)
{
  gsize length;

  g_return_val_if_fail (KANTOR_IS_AUTH (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!kantor_auth_username_is_valid (username))
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_USERNAME,
                   "A user name is 1 to 64 characters from A-Z, a-z, 0-9, '_', '.' and '-'");
      return FALSE;
    }

  length = password != NULL && g_utf8_validate (password, -1, NULL)
           ? (gsize) g_utf8_strlen (password, -1) : 0;
  if (length < KANTOR_AUTH_MIN_PASSWORD || strlen (password) > MAX_PASSWORD_LENGTH)
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_PASSWORD,
                   "A password is %d to %d characters of UTF-8 text",
                   KANTOR_AUTH_MIN_PASSWORD, MAX_PASSWORD_LENGTH);
      return FALSE;
    }

  return create_user (self, username, password, user_permissions, error);
}

/* ---------------------------------------------------------------------- */
/* Start-up                                                               */

static gboolean
load_secret (KantorAuth  *self,
             GError     **error)
{
  const char *env = g_getenv ("KANTOR_JWT_SECRET");
  g_autofree char *path = NULL;
  g_autoptr(SecretString) contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  if (env != NULL)
    {
      length = strlen (env);
      if (length < MIN_SECRET_LENGTH)
        {
          g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET,
                       "KANTOR_JWT_SECRET is %" G_GSIZE_FORMAT " bytes long; a signing secret "
                       "needs at least %d (for example the output of `openssl rand -hex 32`), "
                       "or unset it to use a generated one",
                       length, MIN_SECRET_LENGTH);
          return FALSE;
        }

      self->secret = secret_bytes_new (env, length);
      return TRUE;
    }

  path = g_build_filename (self->state_dir, "jwt-secret", NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      /* A secret others could read may already be known to them: refuse
       * instead of quietly tightening the mode and trusting it. */
      if (!kantor_fileutil_check_private (path, &local_error) ||
          !g_file_get_contents (path, &contents, &length, &local_error))
        {
          g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET,
                       "Cannot use the token signing secret: %s", local_error->message);
          return FALSE;
        }

      /* The file is text like the variable; a trailing newline from an
       * editor is not part of it. */
      while (length > 0 && g_ascii_isspace (contents[length - 1]))
        length--;

      if (length < MIN_SECRET_LENGTH)
        {
          g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_WEAK_SECRET,
                       "The token signing secret in %s is %" G_GSIZE_FORMAT " bytes long; at "
                       "least %d are needed (delete the file to have one generated)",
                       path, length, MIN_SECRET_LENGTH);
          return FALSE;
        }

      self->secret = secret_bytes_new (contents, length);
      return TRUE;
    }

  contents = kantor_random_hex (GENERATED_SECRET_BYTES, &local_error);
  if (contents == NULL ||
      !kantor_fileutil_ensure_private_dir (self->state_dir, &local_error) ||
      !kantor_fileutil_write_private (path, contents, strlen (contents), &local_error))
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                   "Cannot create the token signing secret: %s", local_error->message);
      return FALSE;
    }

  g_message ("Generated a new token signing secret in %s", path);
  self->secret = secret_bytes_new (contents, strlen (contents));
  return TRUE;
}

static gboolean
ensure_first_user (KantorAuth  *self,
                   GError     **error)
{
  g_autoptr(SecretString) password = NULL;
  g_autoptr(SecretString) contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  gint64 count = 0;

  if (kantor_store_run_sync (self->store, count_users_func, &count, &local_error) == NULL)
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                   "The account store failed: %s", local_error->message);
      return FALSE;
    }

  if (count > 0)
    return TRUE;

  password = kantor_random_password (INITIAL_PASSWORD_LENGTH, &local_error);
  if (password == NULL)
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                   "Cannot generate the initial password: %s", local_error->message);
      return FALSE;
    }

  /* The file first: a crash before the user exists only leaves a file the
   * next start replaces; the other order could leave an admin whose
   * password nobody knows. */
  path = g_build_filename (self->state_dir, "initial-password", NULL);
  contents = g_strconcat (password, "\n", NULL);
  if (!kantor_fileutil_ensure_private_dir (self->state_dir, &local_error) ||
      !kantor_fileutil_write_private (path, contents, strlen (contents), &local_error))
    {
      g_set_error (error, KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_FAILED,
                   "Cannot write the initial password: %s", local_error->message);
      return FALSE;
    }

  if (!create_user (self, "admin", password, admin_permissions, error))
    return FALSE;

  /* kantord tells the operator where the password is; no password here. */
  g_info ("Created the user \"admin\"; its password is in %s", path);
  self->initial_password_path = g_steal_pointer (&path);
  return TRUE;
}

KantorAuth *
kantor_auth_new (KantorStore  *store,
                 const char   *state_dir,
                 gboolean      dev_mode,
                 GError      **error)
{
  g_autoptr(KantorAuth) self = NULL;

  g_return_val_if_fail (KANTOR_IS_STORE (store), NULL);
  g_return_val_if_fail (state_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (KANTOR_TYPE_AUTH, NULL);
  self->store = g_object_ref (store);
  self->state_dir = g_strdup (state_dir);
  self->dev_mode = dev_mode;

  if (!load_secret (self, error))
    return NULL;

  self->dummy_hash = kantor_password_dummy_hash ();

  if (!ensure_first_user (self, error))
    return NULL;

  if (dev_mode)
    g_info ("Development mode: any token that is a user name is accepted as that user");

  return g_steal_pointer (&self);
}

const char *
kantor_auth_get_initial_password_path (KantorAuth *self)
{
  g_return_val_if_fail (KANTOR_IS_AUTH (self), NULL);

  return self->initial_password_path;
}

void
kantor_auth_set_access_ttl (KantorAuth *self,
                            gint64      seconds)
{
  g_return_if_fail (KANTOR_IS_AUTH (self));
  g_return_if_fail (seconds > 0);

  self->access_ttl = seconds;
}

void
kantor_auth_set_refresh_ttl (KantorAuth *self,
                             gint64      seconds)
{
  g_return_if_fail (KANTOR_IS_AUTH (self));
  g_return_if_fail (seconds > 0);

  self->refresh_ttl = seconds;
}

void
kantor_auth_set_clock (KantorAuth          *self,
                       KantorAuthClockFunc  clock,
                       gpointer             user_data)
{
  g_return_if_fail (KANTOR_IS_AUTH (self));

  self->clock = clock != NULL ? clock : real_clock;
  self->clock_data = clock != NULL ? user_data : NULL;
}

gboolean
kantor_auth_get_dev_mode (KantorAuth *self)
{
  g_return_val_if_fail (KANTOR_IS_AUTH (self), FALSE);

  return self->dev_mode;
}

static void
kantor_auth_dispose (GObject *object)
{
  KantorAuth *self = KANTOR_AUTH (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (kantor_auth_parent_class)->dispose (object);
}

static void
kantor_auth_finalize (GObject *object)
{
  KantorAuth *self = KANTOR_AUTH (object);

  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_pointer (&self->dummy_hash, g_free);
  g_clear_pointer (&self->initial_password_path, g_free);
  g_clear_pointer (&self->state_dir, g_free);
  g_clear_pointer (&self->user_attempts, g_hash_table_unref);
  g_clear_pointer (&self->address_attempts, g_hash_table_unref);

  G_OBJECT_CLASS (kantor_auth_parent_class)->finalize (object);
}

static void
kantor_auth_class_init (KantorAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_auth_dispose;
  object_class->finalize = kantor_auth_finalize;
}

static void
kantor_auth_init (KantorAuth *self)
{
  self->access_ttl = DEFAULT_ACCESS_TTL;
  self->refresh_ttl = DEFAULT_REFRESH_TTL;
  self->clock = real_clock;
  self->user_attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_array_unref);
  self->address_attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  (GDestroyNotify) g_array_unref);
}
