/* test-utils.h: a server on a loopback port, WebSocket clients and the real
 * daemon as a subprocess, for the API tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "kantor-auth.h"
#include "kantor-server.h"
#include "kantor-session-manager.h"
#include "kantor-store.h"
#include "kantor-strategy-manager.h"

G_BEGIN_DECLS

/* The user every fixture has, stored with a cheap hash (see
 * test_seed_user()). */
#define TEST_USER     "alice"
#define TEST_PASSWORD "correct horse battery"

/* Under AddressSanitizer 600 000 PBKDF2 iterations take some 20 s; tests
 * that cannot avoid them run there only with -m slow. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED 1
#else
#define TEST_SANITIZED 0
#endif

/* Seconds any single wait may take before the test fails. */
#define TEST_TIMEOUT_S 20

/* Iterates the default main context until @cond holds; fails the test at
 * the deadline. Never a sleep: a timer only bounds each blocking
 * iteration. */
#define WAIT_UNTIL(cond)                                                         \
  G_STMT_START {                                                                 \
    gint64 wait_deadline_ = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC; \
    guint wait_tick_ = g_timeout_add (50, test_tick, NULL);                      \
    while (!(cond))                                                              \
      {                                                                          \
        if (g_get_monotonic_time () > wait_deadline_)                            \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration (NULL, TRUE);                                   \
      }                                                                          \
    g_source_remove (wait_tick_);                                                \
  } G_STMT_END

gboolean test_tick (gpointer user_data);

/* A KantorServer listening on 127.0.0.1, port 0, with its store and auth in
 * a temporary root that teardown removes. */
typedef struct
{
  char         *root;
  char         *state_dir;
  KantorStore  *store;
  KantorAuth   *auth;
  KantorServer *server;
  guint         port;
  GPtrArray    *connections;  /* weak pointers to every client connection seen */

  /* Set by test_server_add_managers(), NULL otherwise. */
  char                  *config_dir;
  char                  *data_dir;
  KantorMarketFeed      *feed;
  KantorStrategyManager *strategies;
  KantorSessionManager  *sessions;
} TestServer;

void          test_server_setup          (TestServer  *ts,
                                          gboolean     dev_mode);
/* Shuts the server down, waits for every connection to close and checks
 * that the server, auth and store are finalized. */
void          test_server_teardown       (TestServer  *ts);
/* Gives the server what kantord has: the synthetic market feed (seed 7, at
 * @feed_speed times real time), the strategy manager over
 * <root>/config/strategies (the examples copied in) with its API, and the
 * session manager over the fixture's store with its API. Teardown releases
 * them after the server. */
void          test_server_add_managers   (TestServer  *ts,
                                          double       feed_speed);
/* Upserts a strategy document (JSON text) through the manager. */
void          test_server_put_strategy   (TestServer  *ts,
                                          const char  *json);
char         *test_server_url            (TestServer  *ts,
                                          const char  *path);
/* A grant from a real login. */
KantorAuthGrant *test_server_login       (TestServer  *ts,
                                          const char  *username,
                                          const char  *password);

/* Writes a user straight into @store, hashed with 1000 PBKDF2 iterations.
 * Logins verify at the count stored with the hash, so they stay fast, and
 * a store that has a user makes kantor_auth_new() skip creating "admin"
 * (600 000 iterations). */
void          test_seed_user             (KantorStore *store,
                                          const char  *username,
                                          const char  *password);
/* Creates <root>/state/kantor.db holding TEST_USER, for the daemon. */
void          test_seed_root             (const char  *root);

/* A SoupSession that never consults system proxy settings. */
SoupSession  *test_session_new           (void);

/* A WebSocket client over SoupSession that queues what it receives. */
typedef struct
{
  SoupSession             *session;
  SoupWebsocketConnection *ws;
  GQueue                   received;     /* JsonNode *, parsed */
  GQueue                   raw;          /* char *, the text as received */
  gboolean                 closed;
  gushort                  close_code;
  GError                  *error;
  guint                    http_status;  /* of a refused upgrade */
  GQueue                   stash;        /* JsonObject *, set aside by test_client_call() */
} TestClient;

/* Connects to @url (ws://...) with an optional Bearer token; waits for the
 * upgrade. On a refused upgrade returns the client with ws == NULL and
 * http_status set (test_http_request() shows the body). */
TestClient   *test_client_connect        (const char  *url,
                                          const char  *bearer);
/* Connects to @ts, checks the connected message and drops it. */
TestClient   *test_client_open           (TestServer  *ts,
                                          const char  *bearer);
void          test_client_free           (TestClient  *c);
void          test_client_send           (TestClient  *c,
                                          const char  *text);
void          test_client_send_printf    (TestClient  *c,
                                          const char  *format,
                                          ...) G_GNUC_PRINTF (2, 3);
/* The next message, parsed; NULL when none came within @timeout_ms or
 * the connection closed. */
JsonObject   *test_client_receive        (TestClient  *c,
                                          guint        timeout_ms);
/* test_client_call() with an id of its own: @format (printf) gives the
 * message's other members, as in "\"type\": \"heartbeat\"". */
JsonObject   *test_client_callf          (TestClient  *c,
                                          const char  *format,
                                          ...) G_GNUC_PRINTF (2, 3);
/* Sends and waits for the next message; fails the test when none comes. */
JsonObject   *test_client_request        (TestClient  *c,
                                          const char  *text);
/* Sends @text, which carries "id": @id, and returns the reply with that
 * id; messages that come before it (broadcasts) are set aside for
 * test_client_next(). Fails the test when no reply comes. */
JsonObject   *test_client_call           (TestClient  *c,
                                          const char  *id,
                                          const char  *text);
/* The oldest message set aside, else the next one received; NULL when none
 * came within @timeout_ms. */
JsonObject   *test_client_next           (TestClient  *c,
                                          guint        timeout_ms);
/* Waits for the close and returns its code. */
gushort       test_client_wait_closed    (TestClient  *c);

/* Assertions on envelopes. */
void          test_assert_envelope       (JsonObject  *msg,
                                          const char  *type);
void          test_assert_error          (JsonObject  *msg,
                                          const char  *error_code);
void          test_assert_response       (JsonObject  *msg,
                                          const char  *status);
const char   *test_error_field           (JsonObject  *msg);

/* An HTTP exchange in flight: done once the whole body is read (or the
 * exchange failed). */
typedef struct
{
  GBytes  *body;
  GError  *error;
  gboolean done;
} TestHttpWait;

void          test_http_send_async       (SoupSession  *session,
                                          SoupMessage  *msg,
                                          TestHttpWait *w);
/* Sends @msg on @session and waits for the whole body; fails the test on a
 * transport error. */
GBytes       *test_http_send             (SoupSession *session,
                                          SoupMessage *msg);
/* An HTTP request with an optional Bearer token; returns the status and
 * sets @body. */
guint         test_http_request          (const char  *method,
                                          const char  *url,
                                          const char  *bearer,
                                          char       **body);

/* The real kantord as a subprocess. */
typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
  char        *url;      /* ws://127.0.0.1:PORT/ws */
  guint        port;
} TestDaemon;

const char   *test_kantord_path          (void);
/* Starts kantord --root @root --port 0 with @extra_args (NULL-terminated)
 * and waits for its "listening on" line. */
TestDaemon   *test_daemon_start          (const char         *root,
                                          const char *const  *extra_args);
/* SIGTERM, then waits for the exit; returns the exit status (-1 when it
 * died of a signal). */
int           test_daemon_stop           (TestDaemon         *d);
void          test_daemon_free           (TestDaemon         *d);
/* kantord --root @root --add-user @username with @password on stdin. */
void          test_daemon_add_user       (const char         *root,
                                          const char         *username,
                                          const char         *password);

/* A bare TCP client that sends the upgrade request and then only what the
 * test writes: for peers libsoup would not imitate (silent, or sending
 * invalid frames). */
GSocketConnection *test_raw_connect      (guint               port);
/* One masked frame with FIN set. */
void          test_raw_send_frame        (GSocketConnection  *conn,
                                          guint8              opcode,
                                          const void         *data,
                                          gsize               len);
/* Reads what is available into @buf; returns the code of the first close
 * frame after the 101 response, 0 while none came. */
guint16       test_raw_poll_close        (GSocketConnection  *conn,
                                          GByteArray         *buf);

/* A strategy document that enters on the first trade of each symbol with a
 * fixed 1000 of quote currency and holds until the session ends: every
 * session makes one trade per symbol. Named @name, or without a
 * strategy_name when @name is NULL. */
char         *test_holder_doc            (const char         *name);
/* <source>/tests/data/@name, from KANTOR_SOURCE_DIR. */
char         *test_data_path             (const char         *name);

char         *test_make_temp_root        (void);
void          test_remove_tree           (const char         *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestClient, test_client_free)

G_END_DECLS
