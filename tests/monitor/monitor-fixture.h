/* monitor-fixture.h: a real server on a loopback port with the session
 * manager and the stream hub, and a KantorMonitorClient pointed at it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-client.h"
#include "kantor-stream-hub.h"
#include "test-utils.h"

G_BEGIN_DECLS

typedef struct
{
  TestServer           ts;
  KantorStreamHub     *hub;
  KantorMonitorClient *client;
  gint64               time_ms;
} MonitorFixture;

typedef void (*MonitorFixtureFunc) (MonitorFixture *f,
                                    gconstpointer   data);

/* g_test_add() of @test with @setup (NULL: monitor_fixture_setup()) and
 * monitor_fixture_teardown(). */
void         monitor_fixture_add       (const char         *path,
                                        MonitorFixtureFunc  setup,
                                        MonitorFixtureFunc  test);

/* The hub has no feed: tests publish market events themselves, so every
 * value the monitor shows is known. Sessions' signals and alerts reach it
 * (kantor_stream_hub_follow_sessions()). */
void         monitor_fixture_setup     (MonitorFixture *f,
                                        gconstpointer   data);
/* Disconnects, checks that the client is finalized, then the server. */
void         monitor_fixture_teardown  (MonitorFixture *f,
                                        gconstpointer   data);
/* Connects and logs in as TEST_USER through the client's public API. */
void         monitor_fixture_login     (MonitorFixture *f);
/* A trade of @symbol at @price, and a book update first when @bid > 0;
 * returns the trade's seq. */
guint64      monitor_fixture_trade     (MonitorFixture *f,
                                        const char     *symbol,
                                        double          price,
                                        double          bid,
                                        double          ask);
/* Runs @type with @fields (may be NULL) through the client and waits. */
JsonObject  *monitor_fixture_request   (MonitorFixture *f,
                                        const char     *type,
                                        JsonObject     *fields,
                                        GError        **error);

/* The callback of an async call that keeps a ref on its result in the
 * GAsyncResult * that @user_data points to, for the call's _finish() once
 * monitor_wait_result() returns it. */
void          monitor_keep_result      (GObject       *source,
                                        GAsyncResult  *result,
                                        gpointer       user_data);
/* Waits until *@slot holds a result and returns it (transfer none: the
 * slot keeps it). */
GAsyncResult *monitor_wait_result      (GAsyncResult **slot);

/* Disconnects *@client, drops the ref and waits until it is finalized
 * (requests completing in idles may hold it a moment longer). */
void         monitor_client_release    (KantorMonitorClient **client);

/* Each makes one of @client's calls and waits for its end. */
gboolean     monitor_client_connect    (KantorMonitorClient  *client,
                                        GError              **error);
gboolean     monitor_client_login      (KantorMonitorClient  *client,
                                        const char           *username,
                                        const char           *password,
                                        GError              **error);
gboolean     monitor_client_auth       (KantorMonitorClient  *client,
                                        const char           *token,
                                        GError              **error);
JsonObject  *monitor_client_subscribe  (KantorMonitorClient  *client,
                                        const char           *stream,
                                        JsonObject           *params,
                                        GError              **error);
JsonObject  *monitor_client_request    (KantorMonitorClient  *client,
                                        const char           *type,
                                        JsonObject           *fields,
                                        GError              **error);
/* Closes every connection from the server's side with @code. */
void         monitor_fixture_drop_all  (MonitorFixture *f,
                                        gushort         code);

G_END_DECLS
