/* kantor-rest.c: the REST mirror of the WebSocket API under /api/v1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-envelope.h"
#include "kantor-json.h"
#include "kantor-rest.h"

/* Every REST request is one router message on an in-process connection:
 * the router checks its fields, its authentication and its schema, and the
 * handler that answers it is the one WebSocket clients reach. This file only
 * maps URLs to messages and replies to HTTP responses. */

#define MAX_SEGMENTS   8
#define REQUEST_ID_HEADER "X-Request-Id"
#define BUCKETS_KEY    "kantor-rest-buckets"
#define BODY_KEY       "kantor-rest-body"
#define TOO_LARGE_KEY  "kantor-rest-too-large"
#define MAX_BUCKETS    4096

typedef enum
{
  BODY_NONE,      /* no body */
  BODY_FIELDS,    /* a JSON object whose members are the message's fields */
  BODY_DOCUMENT,  /* a strategy document: the message's strategy_config */
} BodyKind;

typedef enum
{
  ROUTE_CREATES = 1 << 0,  /* 201 unless the reply says nothing new was made */
} RouteFlags;

typedef struct
{
  const char *method;
  /* Segments after /api/v1/; "{field}" takes one segment into that field. */
  const char *pattern;
  const char *type;
  /* A field the URL implies (results_request's request_type). */
  const char *fixed_field;
  const char *fixed_value;
  BodyKind    body;
  RouteFlags  flags;
  /* For a 201: the reply's member that names the new resource, which
   * lives at /api/v1/<pattern>/<that name>. */
  const char *location_field;
} RestRoute;

static const RestRoute rest_routes[] = {
  { "POST", "auth/login", "login", NULL, NULL, BODY_FIELDS, 0, NULL },
  { "POST", "auth/refresh", "refresh", NULL, NULL, BODY_FIELDS, 0, NULL },
  { "POST", "auth/logout", "logout", NULL, NULL, BODY_FIELDS, 0, NULL },

  { "GET", "sessions", "session_status", NULL, NULL, BODY_NONE, 0, NULL },
  { "POST", "sessions", "session_start", NULL, NULL, BODY_FIELDS, ROUTE_CREATES, "session_id" },
  { "GET", "sessions/{session_id}", "session_status", NULL, NULL, BODY_NONE, 0, NULL },
  { "DELETE", "sessions/{session_id}", "session_stop", NULL, NULL, BODY_NONE, 0, NULL },
  { "POST", "sessions/{session_id}/stop", "session_stop", NULL, NULL, BODY_FIELDS, 0, NULL },
  { "GET", "sessions/{session_id}/results", "results_request", "request_type", "session_results",
    BODY_NONE, 0, NULL },

  { "GET", "results/symbols/{symbol}", "results_request", "request_type", "symbol_results",
    BODY_NONE, 0, NULL },
  { "GET", "results/strategies/{strategy_name}", "results_request", "request_type",
    "strategy_results", BODY_NONE, 0, NULL },

  { "GET", "strategies", "get_strategies", NULL, NULL, BODY_NONE, 0, NULL },
  { "GET", "strategies/status", "get_strategy_status", NULL, NULL, BODY_NONE, 0, NULL },
  { "POST", "strategies/validate", "validate_strategy_config", NULL, NULL, BODY_DOCUMENT, 0,
    NULL },
  { "PUT", "strategies/{strategy_name}", "upsert_strategy", NULL, NULL, BODY_DOCUMENT,
    ROUTE_CREATES, "strategy_name" },
  { "GET", "strategies/{strategy_name}/status", "get_strategy_status", NULL, NULL, BODY_NONE, 0,
    NULL },
  { "POST", "strategies/{strategy_name}/activate", "activate_strategy", NULL, NULL, BODY_FIELDS,
    0, NULL },
  { "POST", "strategies/{strategy_name}/deactivate", "deactivate_strategy", NULL, NULL,
    BODY_FIELDS, 0, NULL },

  { "GET", "collections", "collection_status", NULL, NULL, BODY_NONE, 0, NULL },
  { "POST", "collections", "collection_start", NULL, NULL, BODY_FIELDS, ROUTE_CREATES,
    "collection_id" },
  { "GET", "collections/{collection_id}", "collection_status", NULL, NULL, BODY_NONE, 0, NULL },
  { "POST", "collections/{collection_id}/stop", "collection_stop", NULL, NULL, BODY_FIELDS, 0,
    NULL },
};

/* Responses ----------------------------------------------------------- */

static void
set_body (SoupServerMessage *msg,
          guint              status,
          const char        *text,
          gsize              len)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  /* Two statuses libsoup 3.2 has no phrase for. */
  const char *reason = status == 426 ? "Upgrade Required"
                     : status == 429 ? "Too Many Requests" : NULL;

  soup_server_message_set_status (msg, status, reason);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer realm=\"kantor\"");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, len);
}

static void
set_error (SoupServerMessage *msg,
           const char        *id,
           KantorErrorCode    code,
           const char        *message,
           JsonObject        *details)
{
  g_autoptr(JsonNode) id_node = NULL;
  g_autofree char *text = NULL;

  if (id != NULL)
    {
      id_node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (id_node, id);
    }
  text = kantor_envelope_error (id_node, code, message, details);
  set_body (msg, kantor_error_code_get_http_status (code), text, strlen (text));
}

static void
set_field_error (SoupServerMessage *msg,
                 const char        *id,
                 const char        *field,
                 const char        *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "field", field);
  set_error (msg, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, message, details);
}

/* Rate limit ----------------------------------------------------------- */

/* The router's token bucket belongs to a WebSocket connection, which a
 * REST request does not outlive; REST requests draw on a bucket per user
 * (per address before authentication) with the server's rate and burst. */
typedef struct
{
  double tokens;
  gint64 refilled_at;
} Bucket;

static void
refill (Bucket *b,
        double  rate,
        double  burst,
        gint64  now)
{
  if (now > b->refilled_at)
    {
      b->tokens = MIN (burst, b->tokens + rate * (double) (now - b->refilled_at) / G_USEC_PER_SEC);
      b->refilled_at = now;
    }
}

/* Takes one token from @key's bucket; when there is none, FALSE and in
 * @retry_after the seconds until there is. */
static gboolean
take_token (KantorServer *server,
            const char   *key,
            guint        *retry_after)
{
  GHashTable *buckets = g_object_get_data (G_OBJECT (server), BUCKETS_KEY);
  gint64 now = g_get_monotonic_time ();
  double rate = 0, burst = 1;
  Bucket *b;

  g_object_get (server, "rate-limit", &rate, "rate-burst", &burst, NULL);
  if (rate <= 0)
    return TRUE;

  if (buckets == NULL)
    {
      buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_object_set_data_full (G_OBJECT (server), BUCKETS_KEY, buckets,
                              (GDestroyNotify) g_hash_table_unref);
    }

  b = g_hash_table_lookup (buckets, key);
  if (b == NULL)
    {
      GHashTableIter iter;
      Bucket *old;

      /* Full buckets carry no state worth keeping: a bound on memory. */
      if (g_hash_table_size (buckets) >= MAX_BUCKETS)
        {
          g_hash_table_iter_init (&iter, buckets);
          while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &old))
            {
              refill (old, rate, burst, now);
              if (old->tokens >= burst)
                g_hash_table_iter_remove (&iter);
            }
        }
      b = g_new0 (Bucket, 1);
      b->tokens = burst;
      b->refilled_at = now;
      g_hash_table_insert (buckets, g_strdup (key), b);
    }

  refill (b, rate, burst, now);
  if (b->tokens < 1.0)
    {
      *retry_after = (guint) MIN (3600.0, ceil ((1.0 - b->tokens) / rate));
      return FALSE;
    }
  b->tokens -= 1.0;
  return TRUE;
}

/* One request in flight ------------------------------------------------ */

typedef struct
{
  SoupServerMessage      *msg;         /* until the request ends */
  KantorClientConnection *connection;  /* until the request ends */
  const RestRoute        *route;
  char                   *id;
  char                   *id_member;     /* ,"id":"…" as the envelope writes it */
  GSource                *hangup_watch;  /* while paused */
  gboolean                paused;
  gboolean                answered;
} RestRequest;

static void
drop_watch (RestRequest *r)
{
  if (r->hangup_watch != NULL)
    {
      g_source_destroy (r->hangup_watch);
      g_clear_pointer (&r->hangup_watch, g_source_unref);
    }
}

static void
rest_request_clear (RestRequest *r)
{
  drop_watch (r);
  g_clear_object (&r->msg);
  g_clear_object (&r->connection);
  g_free (r->id);
  g_free (r->id_member);
}

/* The request is over for its handler: its connection closes, which
 * cancels what was started for it, and nothing it sends is seen. */
static void
close_connection (RestRequest *r)
{
  g_autoptr(KantorClientConnection) connection = g_steal_pointer (&r->connection);

  if (connection != NULL)
    kantor_client_connection_close (connection, 1000, NULL);
}

static void
unpause (RestRequest *r)
{
  drop_watch (r);
  if (r->paused)
    {
      r->paused = FALSE;
      soup_server_message_unpause (r->msg);
    }
}

static void
rest_request_release (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify) rest_request_clear);
}

/* 201 for a creation, unless the reply says it reused or changed what was
 * there. */
static guint
success_status (const RestRoute *route,
                JsonObject      *reply)
{
  JsonObject *data;

  if (!(route->flags & ROUTE_CREATES))
    return SOUP_STATUS_OK;

  if (!json_object_has_member (reply, "data") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (reply, "data")))
    return SOUP_STATUS_OK;
  data = json_object_get_object_member (reply, "data");
  if (json_object_get_boolean_member_with_default (data, "reused", FALSE))
    return SOUP_STATUS_OK;
  if (json_object_has_member (data, "created") &&
      !json_object_get_boolean_member_with_default (data, "created", FALSE))
    return SOUP_STATUS_OK;
  return SOUP_STATUS_CREATED;
}

static void
set_location (SoupServerMessage *msg,
              const RestRoute   *route,
              JsonObject        *reply)
{
  const char *name;
  g_autofree char *escaped = NULL;
  g_autofree char *location = NULL;

  if (route->location_field == NULL)
    return;
  name = json_object_get_string_member_with_default (reply, route->location_field, NULL);
  if (name == NULL)
    return;

  /* The collection is the pattern's first segment. */
  escaped = g_uri_escape_string (name, NULL, FALSE);
  location = g_strdup_printf (KANTOR_REST_PREFIX "/%.*s/%s",
                              (int) strcspn (route->pattern, "/"), route->pattern, escaped);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
}

/* What on_sent() needs of an outgoing message. */
typedef struct
{
  gboolean        ours;      /* the direct reply to the request */
  gboolean        error;
  KantorErrorCode code;
} Outgoing;

/* kantor_envelope_begin() writes every head the same way:
 * {"version":"1.0","timestamp":"<24 characters>","type":"<word>"[,"id":<id>].
 * Reading that is enough to tell the reply and its error code without
 * parsing what may be a large body a second time. FALSE for any other
 * shape. */
static gboolean
read_head (RestRequest *r,
           const char  *text,
           gsize        len,
           Outgoing    *out)
{
  static const char prefix[] = "{\"version\":\"" KANTOR_PROTOCOL_VERSION "\",\"timestamp\":\"";
  static const char type_key[] = "\",\"type\":\"";
  static const char code_key[] = ",\"error_code\":\"";
  const gsize ts_len = 24;
  const char *end = text + len;
  const char *p = text + strlen (prefix) + ts_len;
  const char *type;
  gsize id_len = strlen (r->id_member);
  gboolean has_id;

  if (len < strlen (prefix) + ts_len + strlen (type_key) ||
      memcmp (text, prefix, strlen (prefix)) != 0 ||
      memcmp (p, type_key, strlen (type_key)) != 0)
    return FALSE;
  type = p + strlen (type_key);
  p = memchr (type, '"', (gsize) (end - type));
  if (p == NULL)
    return FALSE;
  out->error = p - type == 5 && memcmp (type, "error", 5) == 0;
  p++;

  has_id = (gsize) (end - p) > 6 && memcmp (p, ",\"id\":", 6) == 0;
  out->ours = has_id ? (gsize) (end - p) > id_len && memcmp (p, r->id_member, id_len) == 0 &&
                       (p[id_len] == ',' || p[id_len] == '}')
                     : out->error;
  if (!out->ours || !out->error)
    return TRUE;

  /* error_code follows the head. */
  if (has_id)
    p += id_len;
  if ((gsize) (end - p) <= strlen (code_key) || memcmp (p, code_key, strlen (code_key)) != 0)
    return FALSE;
  {
    const char *code = p + strlen (code_key);
    const char *quote = memchr (code, '"', (gsize) (end - code));
    g_autofree char *name = quote != NULL ? g_strndup (code, (gsize) (quote - code)) : NULL;

    out->code = KANTOR_ERROR_CODE_HANDLER_ERROR;
    return name != NULL && kantor_error_code_from_string (name, &out->code);
  }
}

/* The same from the parsed message, for any other shape. */
static void
read_parsed (RestRequest *r,
             JsonObject  *reply,
             Outgoing    *out)
{
  const char *type = json_object_get_string_member_with_default (reply, "type", "");
  JsonNode *id = json_object_get_member (reply, "id");

  out->error = strcmp (type, "error") == 0;
  if (id == NULL || JSON_NODE_HOLDS_NULL (id))
    out->ours = out->error;
  else
    out->ours = JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING &&
                strcmp (json_node_get_string (id), r->id) == 0;
  out->code = KANTOR_ERROR_CODE_HANDLER_ERROR;
  if (out->error)
    kantor_error_code_from_string (json_object_get_string_member_with_default (reply, "error_code",
                                                                               NULL),
                                   &out->code);
}

static JsonObject *
parse_object (const char *text,
              gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The direct reply is the message that echoes the request's id. An error
 * with no id can only be the router refusing the message as a whole: it is
 * the reply too. Anything else (stream items) is not part of a REST
 * answer. */
static void
on_sent (KantorClientConnection *connection,
         const char             *text,
         gsize                   len,
         gpointer                user_data)
{
  RestRequest *r = user_data;
  g_autoptr(JsonObject) reply = NULL;
  Outgoing out = { 0 };
  guint status;

  if (r->answered || r->msg == NULL)
    return;

  if (!read_head (r, text, len, &out))
    {
      reply = parse_object (text, len);
      if (reply == NULL)
        return;
      read_parsed (r, reply, &out);
    }
  if (!out.ours)
    return;

  r->answered = TRUE;
  if (out.error)
    status = kantor_error_code_get_http_status (out.code);
  else if (r->route->flags & ROUTE_CREATES)
    {
      /* Whether something new was made is in the data: rare enough to
       * parse. */
      if (reply == NULL)
        reply = parse_object (text, len);
      status = reply != NULL ? success_status (r->route, reply) : SOUP_STATUS_OK;
    }
  else
    status = SOUP_STATUS_OK;

  set_body (r->msg, status, text, len);
  if (status == SOUP_STATUS_CREATED)
    set_location (r->msg, r->route, reply);
  unpause (r);
}

/* Written, or the client went away: either way the request is over, and
 * what its handler still does for it answers nobody. */
static void
on_request_done (SoupServerMessage *msg,
                 gpointer           user_data)
{
  RestRequest *r = user_data;

  if (r->msg == NULL)
    return;

  if (!r->answered)
    g_debug ("REST request %s ended before its answer: the client went away", r->id);
  drop_watch (r);
  g_signal_handlers_disconnect_by_data (msg, r);
  g_clear_object (&r->msg);
  close_connection (r);
  rest_request_release (r);
}

/* libsoup reads nothing while a message is paused, so a client that hangs
 * up would only be noticed once the answer is written. Peeking at the
 * socket notices it at once, and the work done for it is cancelled. */
static gboolean
on_client_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  RestRequest *r = user_data;
  gboolean gone = (condition & (G_IO_HUP | G_IO_ERR)) != 0;

  if (!gone)
    {
      char byte;
      GInputVector vector = { &byte, 1 };
      int flags = G_SOCKET_MSG_PEEK;
      gssize n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL,
                                           NULL);

      /* 0: end of stream. Bytes: a pipelined request, which libsoup reads
       * once this one is answered; nothing more to watch for. */
      if (n > 0)
        {
          g_clear_pointer (&r->hangup_watch, g_source_unref);
          return G_SOURCE_REMOVE;
        }
      gone = n == 0;
    }
  if (!gone)
    return G_SOURCE_CONTINUE;

  g_debug ("REST request %s: the client hung up before the answer", r->id);
  g_clear_pointer (&r->hangup_watch, g_source_unref);
  close_connection (r);
  if (!r->answered)
    {
      r->answered = TRUE;
      set_error (r->msg, r->id, KANTOR_ERROR_CODE_SERVICE_UNAVAILABLE,
                 "The request was cancelled: the client closed its end of the connection.",
                 NULL);
    }
  /* Written to nobody: libsoup then finishes the message. */
  unpause (r);
  return G_SOURCE_REMOVE;
}

static void
watch_hangup (RestRequest *r)
{
  GSocket *socket = soup_server_message_get_socket (r->msg);

  if (socket == NULL)
    return;
  r->hangup_watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (r->hangup_watch,
                         (GSourceFunc) (void (*) (void)) on_client_readable, r, NULL);
  g_source_attach (r->hangup_watch, NULL);
}

/* URLs ------------------------------------------------------------------ */

/* A path parameter, decoded once: NULL (with @why) for what no identifier,
 * name or symbol can be. "%2F" is refused rather than decoded: a segment
 * never holds a slash. */
static char *
decode_segment (const char  *segment,
                const char **why)
{
  g_autofree char *decoded = g_uri_unescape_string (segment, "/");

  if (decoded == NULL)
    {
      *why = "is not a valid percent-encoded path segment (no %00 or %2F)";
      return NULL;
    }
  if (strlen (decoded) > KANTOR_REST_MAX_SEGMENT)
    {
      *why = "is too long";
      return NULL;
    }
  if (!g_utf8_validate (decoded, -1, NULL))
    {
      *why = "is not valid UTF-8";
      return NULL;
    }
  if (*decoded == '\0' || strcmp (decoded, ".") == 0 || strcmp (decoded, "..") == 0)
    {
      *why = "is not a name";
      return NULL;
    }
  for (const char *p = decoded; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        {
          *why = "contains a control character";
          return NULL;
        }
    }
  return g_steal_pointer (&decoded);
}

static gboolean
pattern_matches (const char         *pattern,
                 const char * const *segments)
{
  g_auto(GStrv) parts = g_strsplit (pattern, "/", -1);
  guint i;

  for (i = 0; parts[i] != NULL; i++)
    {
      if (segments[i] == NULL)
        return FALSE;
      if (parts[i][0] != '{' && strcmp (parts[i], segments[i]) != 0)
        return FALSE;
    }
  return segments[i] == NULL;
}

/* Sets @name in @message unless something set it already. */
static gboolean
add_field (JsonObject *message,
           const char *name,
           JsonNode   *value,
           const char *source,
           char      **why)
{
  if (json_object_has_member (message, name))
    {
      *why = g_strdup_printf ("Field '%s' is given twice (%s and elsewhere in the request).",
                              name, source);
      json_node_unref (value);
      return FALSE;
    }
  json_object_set_member (message, name, value);
  return TRUE;
}

/* A query value as the field's schema wants it: query values are strings,
 * converted only where the route has no string type for the field. What
 * does not convert stays a string, for the router to refuse. */
static JsonNode *
query_value (const KantorRoute *schema,
             const char        *name,
             const char        *value)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  KantorFieldType types = 0;

  for (const KantorRouteField *f = schema != NULL ? schema->fields : NULL;
       f != NULL && f->name != NULL; f++)
    if (strcmp (f->name, name) == 0)
      types = f->types;

  if (!(types & KANTOR_FIELD_STRING))
    {
      gint64 i;
      double d;
      char *end = NULL;

      if ((types & (KANTOR_FIELD_INTEGER | KANTOR_FIELD_NUMBER)) &&
          g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &i, NULL))
        {
          json_node_set_int (node, i);
          return node;
        }
      if ((types & KANTOR_FIELD_NUMBER) && *value != '\0' &&
          (d = g_ascii_strtod (value, &end), end != NULL && *end == '\0'))
        {
          json_node_set_double (node, d);
          return node;
        }
      if ((types & KANTOR_FIELD_BOOLEAN) && (strcmp (value, "true") == 0 ||
                                             strcmp (value, "false") == 0))
        {
          json_node_set_boolean (node, strcmp (value, "true") == 0);
          return node;
        }
    }

  json_node_set_string (node, value);
  return node;
}

/* Adds the query's parameters as fields. Decoded once, '+' as a space; a
 * name or value that does not decode to UTF-8 without NUL is refused. */
static gboolean
add_query (JsonObject        *message,
           const KantorRoute *schema,
           const char        *query,
           char             **field,
           char             **why)
{
  g_auto(GStrv) pairs = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;

  pairs = g_strsplit (query, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *raw_name = NULL;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      char *eq;

      if (*pairs[i] == '\0')
        continue;

      g_strdelimit (pairs[i], "+", ' ');
      eq = strchr (pairs[i], '=');
      raw_name = eq != NULL ? g_strndup (pairs[i], (gsize) (eq - pairs[i]))
                            : g_strdup (pairs[i]);
      name = g_uri_unescape_string (raw_name, NULL);
      value = g_uri_unescape_string (eq != NULL ? eq + 1 : "", NULL);
      if (name == NULL || value == NULL || !g_utf8_validate (name, -1, NULL) ||
          !g_utf8_validate (value, -1, NULL))
        {
          *field = g_strdup (name != NULL && g_utf8_validate (name, -1, NULL) ? name : "query");
          *why = g_strdup ("A query parameter is not valid percent-encoded UTF-8.");
          return FALSE;
        }
      if (strcmp (name, "type") == 0 || strcmp (name, "id") == 0)
        {
          *field = g_strdup (name);
          *why = g_strdup_printf ("'%s' is set by the URL, not by a query parameter.", name);
          return FALSE;
        }
      if (!add_field (message, name, query_value (schema, name, value), "in the query", why))
        {
          *field = g_steal_pointer (&name);
          return FALSE;
        }
    }
  return TRUE;
}

/* Bodies ----------------------------------------------------------------- */

static void
set_too_large (SoupServerMessage *msg,
               const char        *id)
{
  g_autofree char *why = g_strdup_printf ("The body is larger than %d bytes.",
                                          KANTOR_SERVER_MAX_MESSAGE_SIZE);

  set_error (msg, id, KANTOR_ERROR_CODE_INVALID_JSON, why, NULL);
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  GByteArray *body = g_object_get_data (G_OBJECT (msg), BODY_KEY);
  gsize size = g_bytes_get_size (chunk);

  if (body == NULL)
    return;
  if (body->len + size > KANTOR_SERVER_MAX_MESSAGE_SIZE)
    {
      /* Too large: what is kept is dropped, the rest is not kept. */
      g_object_set_data (G_OBJECT (msg), BODY_KEY, NULL);
      g_object_set_data (G_OBJECT (msg), TOO_LARGE_KEY, GINT_TO_POINTER (TRUE));
      return;
    }
  g_byte_array_append (body, g_bytes_get_data (chunk, NULL), (guint) size);
}


static gboolean
add_body (SoupServerMessage *msg,
          const char        *id,
          const RestRoute   *route,
          JsonObject        *message,
          const char        *path_name)
{
  GByteArray *kept = g_object_get_data (G_OBJECT (msg), BODY_KEY);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *why = NULL;
  gsize len;
  const char *data;
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  /* What the early handler kept, or libsoup's own body without it. */
  if (g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) != NULL)
    {
      set_too_large (msg, id);
      return FALSE;
    }
  bytes = kept != NULL ? g_bytes_new (kept->data, kept->len)
                       : soup_message_body_flatten (soup_server_message_get_request_body (msg));
  data = g_bytes_get_data (bytes, &len);

  if (route->body == BODY_NONE)
    {
      if (len > 0)
        {
          set_field_error (msg, id, "body", "This request takes no body.");
          return FALSE;
        }
      return TRUE;
    }

  /* No body: no fields (the router says which are missing). */
  if (len == 0)
    return TRUE;

  /* The router's own checks, before json-glib sees the text; a document
   * sits one level down in the message. */
  if (!kantor_json_check_input (data, len, KANTOR_SERVER_MAX_MESSAGE_SIZE,
                                KANTOR_JSON_MAX_DEPTH - (route->body == BODY_DOCUMENT ? 1 : 0),
                                &error))
    {
      set_error (msg, id, KANTOR_ERROR_CODE_INVALID_JSON, error->message, NULL);
      return FALSE;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      set_error (msg, id, KANTOR_ERROR_CODE_INVALID_JSON, NULL, NULL);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      set_error (msg, id, KANTOR_ERROR_CODE_INVALID_JSON, "The body must be a JSON object.", NULL);
      return FALSE;
    }
  object = json_node_get_object (json_parser_get_root (parser));

  if (route->body == BODY_DOCUMENT)
    {
      g_autoptr(JsonNode) doc = json_node_copy (json_parser_get_root (parser));
      JsonObject *doc_object = json_node_get_object (doc);
      JsonNode *named = json_object_get_member (doc_object, "strategy_name");

      /* The name in the URL is the document's; a document may leave it
       * out. */
      if (path_name != NULL && named == NULL)
        json_object_set_string_member (doc_object, "strategy_name", path_name);
      else if (path_name != NULL &&
               (!JSON_NODE_HOLDS_VALUE (named) ||
                json_node_get_value_type (named) != G_TYPE_STRING ||
                strcmp (json_node_get_string (named), path_name) != 0))
        {
          set_field_error (msg, id, "strategy_name",
                           "The document's strategy_name differs from the one in the URL.");
          return FALSE;
        }
      json_object_set_member (message, "strategy_config", g_steal_pointer (&doc));
      return TRUE;
    }

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (strcmp (name, "type") == 0 || strcmp (name, "id") == 0)
        {
          g_autofree char *msg_text =
            g_strdup_printf ("'%s' is set by the URL, not by the body.", name);

          set_field_error (msg, id, name, msg_text);
          return FALSE;
        }
      if (!add_field (message, name, json_node_copy (member), "in the body", &why))
        {
          set_field_error (msg, id, name, why);
          return FALSE;
        }
    }
  return TRUE;
}

/* The handler ------------------------------------------------------------- */

static void
answer_streams (KantorServer      *server,
                SoupServerMessage *msg)
{
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *url = kantor_server_dup_websocket_url (server);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  json_object_set_string_member (details, "websocket_url", url);
  set_error (msg, NULL, KANTOR_ERROR_CODE_WEBSOCKET_REQUIRED,
             "Streams are pushed over a WebSocket: connect to the WebSocket URL and send "
             "subscribe.", details);
  soup_message_headers_replace (headers, "Upgrade", "websocket");
  soup_message_headers_replace (headers, "Connection", "Upgrade");
}

static void
answer_method_not_allowed (SoupServerMessage  *msg,
                           const char * const *segments)
{
  g_autoptr(GString) allow = g_string_new (NULL);
  g_autoptr(JsonObject) details = json_object_new ();
  JsonArray *methods = json_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (rest_routes); i++)
    {
      gboolean listed = FALSE;

      if (!pattern_matches (rest_routes[i].pattern, segments))
        continue;
      for (guint j = 0; j < json_array_get_length (methods); j++)
        listed |= strcmp (json_array_get_string_element (methods, j), rest_routes[i].method) == 0;
      if (listed)
        continue;
      if (allow->len > 0)
        g_string_append (allow, ", ");
      g_string_append (allow, rest_routes[i].method);
      json_array_add_string_element (methods, rest_routes[i].method);
    }
  json_object_set_array_member (details, "allow", methods);
  set_error (msg, NULL, KANTOR_ERROR_CODE_METHOD_NOT_ALLOWED, NULL, details);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                allow->str);
}

/* The id the reply will echo: the client's X-Request-Id, else a fresh one. */
static char *
request_id (SoupServerMessage *msg,
            GError           **error)
{
  const char *given = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    REQUEST_ID_HEADER);
  g_autoptr(JsonNode) node = NULL;

  if (given == NULL)
    return g_uuid_string_random ();

  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, given);
  if (!g_utf8_validate (given, -1, NULL) || !kantor_envelope_check_id (node, error))
    {
      g_clear_error (error);
      g_set_error (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                   "The " REQUEST_ID_HEADER " header must be at most %d characters of UTF-8.",
                   KANTOR_ENVELOPE_MAX_ID_LENGTH);
      return NULL;
    }
  return g_strdup (given);
}

void
kantor_rest_handle_early (KantorServer      *server,
                          SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_return_if_fail (KANTOR_IS_SERVER (server));

  /* Announced too large: refused before a byte of it is read. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > KANTOR_SERVER_MAX_MESSAGE_SIZE)
    {
      set_too_large (msg, NULL);
      return;
    }

  /* Not announced (chunked): libsoup would keep all of it; we keep up to
   * the bound and only count the rest. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data_full (G_OBJECT (msg), BODY_KEY, g_byte_array_new (),
                          (GDestroyNotify) g_byte_array_unref);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
}

void
kantor_rest_handle (KantorServer      *server,
                    SoupServerMessage *msg,
                    const char        *path)
{
  KantorRouter *router;
  const char *method = soup_server_message_get_method (msg);
  const char *rest;
  g_autofree char *trimmed = NULL;
  g_auto(GStrv) segments = NULL;
  const RestRoute *route = NULL;
  gboolean path_known = FALSE;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *field = NULL;
  g_autofree char *why = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *text = NULL;
  g_autofree char *bucket_key = NULL;
  g_autofree char *path_name = NULL;
  guint retry_after = 0;
  RestRequest *r;

  g_return_if_fail (KANTOR_IS_SERVER (server));
  g_return_if_fail (g_str_has_prefix (path, KANTOR_REST_PREFIX));

  router = kantor_server_get_router (server);
  rest = path + strlen (KANTOR_REST_PREFIX);
  if (*rest != '/' || rest[1] == '\0')
    {
      set_error (msg, NULL, KANTOR_ERROR_CODE_NOT_FOUND, NULL, NULL);
      return;
    }

  /* One trailing slash is forgiven; empty segments are not. */
  trimmed = g_strdup (rest + 1);
  if (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  segments = g_strsplit (trimmed, "/", MAX_SEGMENTS + 1);

  if (strcmp (segments[0], "streams") == 0)
    {
      answer_streams (server, msg);
      return;
    }

  if (g_strv_length (segments) > MAX_SEGMENTS || g_strv_contains ((const char * const *) segments,
                                                                  ""))
    {
      set_error (msg, NULL, KANTOR_ERROR_CODE_NOT_FOUND, NULL, NULL);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (rest_routes) && route == NULL; i++)
    {
      if (!pattern_matches (rest_routes[i].pattern, (const char * const *) segments))
        continue;
      path_known = TRUE;
      if (strcmp (rest_routes[i].method, method) == 0)
        route = &rest_routes[i];
    }
  if (route == NULL)
    {
      if (path_known)
        answer_method_not_allowed (msg, (const char * const *) segments);
      else
        set_error (msg, NULL, KANTOR_ERROR_CODE_NOT_FOUND, NULL, NULL);
      return;
    }

  id = request_id (msg, &error);
  if (id == NULL)
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "field", "id");
      set_error (msg, NULL, KANTOR_ERROR_CODE_VALIDATION_ERROR, error->message, details);
      return;
    }

  /* A token that is there must be good, as on the WebSocket upgrade. */
  grant = kantor_server_authenticate (server, soup_server_message_get_request_headers (msg),
                                      &error);
  if (error != NULL)
    {
      set_error (msg, id, kantor_error_code_from_gerror (error), error->message, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return;
    }

  bucket_key = grant != NULL ? g_strconcat ("user:", grant->user_id, NULL)
                             : g_strconcat ("address:", soup_server_message_get_remote_host (msg),
                                            NULL);
  if (!take_token (server, bucket_key, &retry_after))
    {
      char seconds[16];

      g_snprintf (seconds, sizeof seconds, "%u", MAX (retry_after, 1u));
      set_error (msg, id, KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED, NULL, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", seconds);
      return;
    }

  message = json_object_new ();
  json_object_set_string_member (message, "type", route->type);
  json_object_set_string_member (message, "id", id);
  if (route->fixed_field != NULL)
    json_object_set_string_member (message, route->fixed_field, route->fixed_value);

  parts = g_strsplit (route->pattern, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      const char *problem = NULL;

      if (parts[i][0] != '{')
        continue;
      name = g_strndup (parts[i] + 1, strlen (parts[i]) - 2);
      value = decode_segment (segments[i], &problem);
      if (value == NULL)
        {
          g_autofree char *msg_text = g_strdup_printf ("The %s in the URL %s.", name, problem);

          set_field_error (msg, id, name, msg_text);
          return;
        }
      /* A document's name belongs in the document. */
      if (route->body == BODY_DOCUMENT)
        {
          g_free (path_name);
          path_name = g_steal_pointer (&value);
        }
      else
        json_object_set_string_member (message, name, value);
    }

  if (!add_query (message, kantor_router_lookup (router, route->type),
                  g_uri_get_query (soup_server_message_get_uri (msg)), &field, &why))
    {
      set_field_error (msg, id, field, why);
      return;
    }

  if (!add_body (msg, id, route, message, path_name))
    return;

  /* The router sees exactly what a WebSocket client would send. */
  root = json_node_init_object (json_node_alloc (), message);
  text = kantor_json_to_string (root);

  r = g_rc_box_new0 (RestRequest);
  r->msg = g_object_ref (msg);
  r->route = route;
  r->id = g_steal_pointer (&id);
  {
    GString *member = g_string_new (",\"id\":");

    kantor_json_append_string (member, r->id);
    r->id_member = g_string_free (member, FALSE);
  }
  r->connection = kantor_client_connection_new_for_request (
    soup_server_message_get_remote_host (msg), on_sent, g_rc_box_acquire (r),
    rest_request_release);
  if (grant != NULL)
    kantor_client_connection_set_grant (r->connection, g_steal_pointer (&grant));

  g_signal_connect (msg, "finished", G_CALLBACK (on_request_done), r);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_request_done), r);

  kantor_router_dispatch (router, r->connection, text, strlen (text));

  /* Handlers that answer later (a worker thread, a stopping session) hold
   * the connection; the response waits for them. */
  if (!r->answered && r->msg != NULL)
    {
      r->paused = TRUE;
      soup_server_message_pause (msg);
      watch_hangup (r);
    }
}
