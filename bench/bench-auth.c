/* bench-auth.c: what authentication and the state store cost
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints one JSON object per line:
 *   jwt_verify        kantor_jwt_verify() of one access token (best of three runs)
 *   jwt_encode        kantor_jwt_encode() of one access token
 *   pbkdf2_hash       one PBKDF2-HMAC-SHA256 hash at KANTOR_PASSWORD_ITERATIONS, with the
 *                     ratio against OpenSSL's PKCS5_PBKDF2_HMAC() (higher: we are faster)
 *   store_jobs        kantor_store_run_async() round trips, one INSERT each, all queued
 *                     at once and completed on the main loop
 *   store_batch       one job inserting rows in a single transaction
 *
 * Usage: bench-auth STATE_DIR [JWT_ROUNDS]. With --token it prints a token
 * and its secret instead, for a reference implementation to verify.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>

#include "kantor-jwt.h"
#include "kantor-password.h"
#include "kantor-store.h"

static const char secret[] = "bench-secret-0123456789abcdef-0123456789abcdef";
#define SECRET_LEN (sizeof secret - 1)
#define NOW 1764000000

static char *
make_token (void)
{
  g_autoptr(KantorJwtClaims) claims = kantor_jwt_claims_new ();
  const char *permissions[] = { "read", "trade", NULL };

  claims->sub = g_strdup ("5f1c7a1e-7d7e-4b8e-9a51-0c2f4d1e9b3a");
  claims->username = g_strdup ("trader");
  claims->permissions = g_strdupv ((char **) permissions);
  claims->typ = KANTOR_JWT_ACCESS;
  claims->iat = NOW;
  claims->exp = G_MAXINT32;
  claims->jti = g_strdup ("9f86d081884c7d659a2feaa0c55ad015");
  return kantor_jwt_encode ((const guint8 *) secret, SECRET_LEN, claims);
}

static void
bench_jwt (guint rounds)
{
  g_autofree char *token = make_token ();
  double best_verify = G_MAXDOUBLE;
  double best_encode = G_MAXDOUBLE;

  for (guint run = 0; run < 3; run++)
    {
      gint64 start = g_get_monotonic_time ();
      double elapsed;

      for (guint i = 0; i < rounds; i++)
        {
          KantorJwtClaims *claims = kantor_jwt_verify ((const guint8 *) secret, SECRET_LEN,
                                                       token, KANTOR_JWT_ACCESS, NOW, NULL);

          if (claims == NULL)
            g_error ("verification failed");
          kantor_jwt_claims_free (claims);
        }
      elapsed = (g_get_monotonic_time () - start) / 1e6;
      best_verify = MIN (best_verify, elapsed);

      start = g_get_monotonic_time ();
      for (guint i = 0; i < rounds; i++)
        g_free (make_token ());
      elapsed = (g_get_monotonic_time () - start) / 1e6;
      best_encode = MIN (best_encode, elapsed);
    }

  printf ("{\"bench\":\"jwt_verify\",\"rounds\":%u,\"ops_per_s\":%.0f,\"ns_per_op\":%.0f}\n",
          rounds, rounds / best_verify, best_verify * 1e9 / rounds);
  printf ("{\"bench\":\"jwt_encode\",\"rounds\":%u,\"ops_per_s\":%.0f,\"ns_per_op\":%.0f}\n",
          rounds, rounds / best_encode, best_encode * 1e9 / rounds);
}

static void
bench_pbkdf2 (void)
{
  static const char password[] = "a password of ordinary length";
  static const guint8 salt[16] = "0123456789abcdef";
  g_autoptr(GError) error = NULL;
  double best = G_MAXDOUBLE;
  double best_ref = G_MAXDOUBLE;

  for (guint run = 0; run < 3; run++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autofree char *hash = kantor_password_hash (password, &error);
      guint8 out[32];

      g_assert_no_error (error);
      best = MIN (best, (g_get_monotonic_time () - start) / 1e6);

      /* The reference: OpenSSL's own PBKDF2, same parameters. */
      start = g_get_monotonic_time ();
      if (PKCS5_PBKDF2_HMAC (password, sizeof password - 1, salt, sizeof salt,
                             KANTOR_PASSWORD_ITERATIONS, EVP_sha256 (), sizeof out, out) != 1)
        g_error ("PKCS5_PBKDF2_HMAC failed");
      best_ref = MIN (best_ref, (g_get_monotonic_time () - start) / 1e6);
    }

  printf ("{\"bench\":\"pbkdf2_hash\",\"iterations\":%d,\"ms_per_hash\":%.1f,"
          "\"reference\":\"PKCS5_PBKDF2_HMAC\",\"reference_ms\":%.1f,\"ratio\":%.2f}\n",
          KANTOR_PASSWORD_ITERATIONS, best * 1e3, best_ref * 1e3, best_ref / best);
}

static gpointer
insert_func (KantorStore  *store,
             gpointer      data,
             GError      **error)
{
  sqlite3_stmt *stmt = kantor_store_prepare (store,
                                             "INSERT INTO users (id, username, password_hash, "
                                             "created_at) VALUES (?, ?, 'x', 0)",
                                             error);
  guint n = GPOINTER_TO_UINT (data);
  char id[32];

  if (stmt == NULL)
    return NULL;
  g_snprintf (id, sizeof id, "job-%u", n);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_TRANSIENT);
  if (kantor_store_step (store, stmt, error) == 0)
    return NULL;
  return store;
}

typedef struct
{
  guint n;
} BatchData;

static gpointer
batch_func (KantorStore  *store,
            gpointer      data,
            GError      **error)
{
  BatchData *batch = data;

  if (!kantor_store_begin (store, error))
    return NULL;
  for (guint i = 0; i < batch->n; i++)
    {
      sqlite3_stmt *stmt = kantor_store_prepare (store,
                                                 "INSERT INTO users (id, username, "
                                                 "password_hash, created_at) VALUES (?, ?, 'x', 0)",
                                                 error);
      char id[32];

      if (stmt == NULL)
        {
          kantor_store_rollback (store);
          return NULL;
        }
      g_snprintf (id, sizeof id, "batch-%u", i);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, id, -1, SQLITE_TRANSIENT);
      if (kantor_store_step (store, stmt, error) == 0)
        {
          kantor_store_rollback (store);
          return NULL;
        }
    }
  return kantor_store_commit (store, error) ? store : NULL;
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  guint *remaining = user_data;
  g_autoptr(GError) error = NULL;

  kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  g_assert_no_error (error);
  (*remaining)--;
}

static void
bench_store (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "bench-auth.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorStore) store = NULL;
  const guint n_jobs = 20000;
  const guint n_rows = 200000;
  BatchData batch = { n_rows };
  guint remaining = n_jobs;
  gint64 start;
  double elapsed;

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  store = kantor_store_new (path, &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_jobs; i++)
    kantor_store_run_async (store, insert_func, GUINT_TO_POINTER (i), NULL, NULL,
                            job_done_cb, &remaining);
  while (remaining > 0)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (g_get_monotonic_time () - start) / 1e6;
  printf ("{\"bench\":\"store_jobs\",\"jobs\":%u,\"jobs_per_s\":%.0f,\"us_per_job\":%.1f}\n",
          n_jobs, n_jobs / elapsed, elapsed * 1e6 / n_jobs);

  start = g_get_monotonic_time ();
  kantor_store_run_sync (store, batch_func, &batch, &error);
  g_assert_no_error (error);
  elapsed = (g_get_monotonic_time () - start) / 1e6;
  printf ("{\"bench\":\"store_batch\",\"rows\":%u,\"rows_per_s\":%.0f}\n",
          n_rows, n_rows / elapsed);

  kantor_store_close (store);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  guint rounds = 200000;

  if (argc >= 2 && g_str_equal (argv[1], "--token"))
    {
      g_autofree char *token = make_token ();

      printf ("%s\n%s\n", token, secret);
      return 0;
    }

  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-auth STATE_DIR [JWT_ROUNDS]\n");
      return 2;
    }
  if (argc >= 3)
    rounds = (guint) g_ascii_strtoull (argv[2], NULL, 10);

  bench_jwt (MAX (rounds, 1));
  bench_pbkdf2 ();
  bench_store (argv[1]);
  return 0;
}
