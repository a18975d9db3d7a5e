/* kantor-client-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-client-connection.h"
#include "kantor-envelope.h"

/* RFC 6455, server side. libsoup does the HTTP upgrade; the socket is then
 * ours: one persistent input watch, one read per readiness, one write per
 * message, an explicit backlog, and a bound on whole messages rather than
 * frames. */

#define READ_CHUNK          (16 * 1024)
#define CLOSE_TIMEOUT_MS    2000
#define DEFAULT_MAX_MESSAGE (1024 * 1024)
#define DEFAULT_MAX_BACKLOG (16 * 1024 * 1024)
#define DEFAULT_SOFT_BOUND  (256 * 1024)
#define DEFAULT_HARD_BOUND  (8 * 1024 * 1024)

enum {
  OP_CONTINUATION = 0x0,
  OP_TEXT         = 0x1,
  OP_BINARY       = 0x2,
  OP_CLOSE        = 0x8,
  OP_PING         = 0x9,
  OP_PONG         = 0xA,
};

typedef enum
{
  STATE_OPEN,
  STATE_CLOSING,   /* a close frame was sent or received */
  STATE_CLOSED,
} State;

struct _KantorClientConnection
{
  GObject                  parent_instance;

  GIOStream               *stream;
  GSocket                 *socket;         /* under stream, for half-closing */
  GPollableInputStream    *input;
  GPollableOutputStream   *output;
  GSource                 *input_source;
  GSource                 *output_source;
  guint                    close_timeout_id;
  guint                    initial_read_id;

  GByteArray              *incoming;       /* unparsed bytes */
  GByteArray              *message;        /* fragments of the message being received */
  guint8                   message_opcode; /* 0: none in progress */
  GByteArray              *outgoing;       /* bytes not yet written */
  gsize                    outgoing_sent;  /* how much of outgoing went out */
  gsize                    max_message_size;
  gsize                    max_backlog;

  State                    state;
  guint                    close_sent : 1;
  guint                    close_received : 1;
  guint                    close_after_flush : 1;
  guint                    shutdown_after_flush : 1;
  guint                    draining : 1;      /* after a violation: read and discard */
  guint                    corked : 1;        /* stream items: written on uncork */
  gushort                  close_code;

  KantorMessageFunc        message_func;
  gpointer                 message_data;

  /* In-process (REST) connections: no stream, text goes here. */
  KantorMessageFunc        sink;
  gpointer                 sink_data;
  GDestroyNotify           sink_destroy;

  char                    *client_id;
  char                    *peer_address;
  GCancellable            *cancellable;
  KantorAuthGrant         *grant;

  double                   rate;
  double                   burst;
  double                   tokens;
  gint64                   refilled_at;

  gint64                   last_seen;

  KantorOutgoingHook       hook;
  gpointer                 hook_data;
  GDestroyNotify           hook_destroy;

  /* Flow control for droppable stream items (see send_frame()). */
  GQueue                   pending;        /* GBytes *, framed, droppable */
  gsize                    pending_bytes;
  gsize                    soft_bound;
  gsize                    hard_bound;
  gsize                    episode_bytes;  /* dropped since the peer last caught up */
  guint64                  episode_dropped;
  guint64                  n_dropped;
};

enum {
  PROP_0,
  PROP_CLIENT_ID,
  PROP_AUTHENTICATED,
  N_PROPS
};

enum {
  CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KantorClientConnection, kantor_client_connection, G_TYPE_OBJECT)

static void
drop_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Tears the transport down and says so, once. */
static void
close_io (KantorClientConnection *self)
{
  if (self->state == STATE_CLOSED)
    return;

  self->state = STATE_CLOSED;
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  g_clear_handle_id (&self->initial_read_id, g_source_remove);
  drop_source (&self->input_source);
  drop_source (&self->output_source);
  if (self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);
  g_queue_clear_full (&self->pending, (GDestroyNotify) g_bytes_unref);
  self->pending_bytes = 0;

  g_cancellable_cancel (self->cancellable);

  /* A handler may drop the last ref from "closed". */
  g_object_ref (self);
  g_signal_emit (self, signals[CLOSED], 0);
  g_object_unref (self);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  KantorClientConnection *self = user_data;

  self->close_timeout_id = 0;
  g_debug ("Client %s did not finish the close handshake", self->client_id);
  close_io (self);
  return G_SOURCE_REMOVE;
}

/* Writes what the socket takes; TRUE when nothing is left. */
static gboolean
flush_outgoing (KantorClientConnection *self)
{
  while (self->outgoing_sent < self->outgoing->len)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      n = g_pollable_output_stream_write_nonblocking (self->output,
                                                      self->outgoing->data + self->outgoing_sent,
                                                      self->outgoing->len - self->outgoing_sent,
                                                      NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return FALSE;
          g_debug ("Client %s: write failed: %s", self->client_id, error->message);
          if (self->close_code == 0)
            self->close_code = 1006;
          close_io (self);
          return FALSE;
        }
      self->outgoing_sent += (gsize) n;
    }

  /* A backlog that grew large is not kept once written. */
  if (self->outgoing->len > 64 * 1024)
    {
      g_byte_array_unref (self->outgoing);
      self->outgoing = g_byte_array_new ();
    }
  else
    g_byte_array_set_size (self->outgoing, 0);
  self->outgoing_sent = 0;

  if (self->close_after_flush)
    close_io (self);
  else if (self->shutdown_after_flush && self->socket != NULL)
    {
      /* The close frame is out; the peer sees EOF after it and answers. */
      self->shutdown_after_flush = FALSE;
      g_socket_shutdown (self->socket, FALSE, TRUE, NULL);
    }
  return TRUE;
}

static void pump_pending (KantorClientConnection *self);

static gboolean
on_output_ready (KantorClientConnection *self)
{
  gboolean keep;

  g_object_ref (self);
  keep = !flush_outgoing (self) && self->state != STATE_CLOSED;
  if (!keep && self->state != STATE_CLOSED && self->pending.length > 0)
    {
      /* The socket took everything: feed it the items that waited. */
      pump_pending (self);
      keep = self->state != STATE_CLOSED && self->outgoing->len > 0;
    }
  if (!keep)
    drop_source (&self->output_source);
  g_object_unref (self);

  return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean on_input_ready  (KantorClientConnection *self);
static gboolean on_output_ready (KantorClientConnection *self);

static gboolean
socket_ready_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  if (condition & G_IO_OUT)
    return on_output_ready (user_data);
  return on_input_ready (user_data);
}

static gboolean
stream_input_cb (GObject  *stream,
                 gpointer  user_data)
{
  return on_input_ready (user_data);
}

static gboolean
stream_output_cb (GObject  *stream,
                  gpointer  user_data)
{
  return on_output_ready (user_data);
}

/* A watch on the socket itself. The pollable-stream sources wrap a child
 * source, and GLib blocks every dispatching source by taking its fds out of
 * the poll set and putting them back, which wakes the loop each time
 * (several eventfd writes per message). Callbacks here never iterate the
 * loop, so recursion is harmless and the blocking can be skipped. */
static GSource *
create_source (KantorClientConnection *self,
               GIOCondition            condition)
{
  GSource *source;

  if (self->socket != NULL)
    {
      source = g_socket_create_source (self->socket, condition, NULL);
      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) socket_ready_cb, self, NULL);
    }
  else if (condition == G_IO_IN)
    {
      source = g_pollable_input_stream_create_source (self->input, NULL);
      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) stream_input_cb, self, NULL);
    }
  else
    {
      source = g_pollable_output_stream_create_source (self->output, NULL);
      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) stream_output_cb, self, NULL);
    }

  g_source_set_can_recurse (source, TRUE);
  g_source_attach (source, NULL);
  return source;
}

static void
start_output (KantorClientConnection *self)
{
  if (self->output_source != NULL || self->state == STATE_CLOSED)
    return;

  self->output_source = create_source (self, G_IO_OUT);
}

/* Frames a message (servers never mask) and writes it, or queues what the
 * socket does not take now. */
static void
send_frame (KantorClientConnection *self,
            guint8                  opcode,
            const void             *payload,
            gsize                   len)
{
  guint8 header[10];
  guint hlen;
  gboolean idle = self->outgoing->len == 0;

  if (self->state == STATE_CLOSED || self->close_sent)
    return;

  /* In-process: the text is the message, a close ends it, and the control
   * frames of a transport that does not exist mean nothing. */
  if (self->stream == NULL)
    {
      if (opcode == OP_TEXT)
        self->sink (self, payload, len, self->sink_data);
      else if (opcode == OP_CLOSE)
        close_io (self);
      return;
    }

  header[0] = (guint8) (0x80 | opcode);
  if (len < 126)
    {
      header[1] = (guint8) len;
      hlen = 2;
    }
  else if (len <= G_MAXUINT16)
    {
      header[1] = 126;
      header[2] = (guint8) (len >> 8);
      header[3] = (guint8) len;
      hlen = 4;
    }
  else
    {
      header[1] = 127;
      for (guint i = 0; i < 8; i++)
        header[2 + i] = (guint8) ((guint64) len >> (56 - 8 * i));
      hlen = 10;
    }

  /* A peer that does not read cannot make us hold unbounded memory. Its
   * socket is full, so a close frame would not get through either. */
  if (self->outgoing->len - self->outgoing_sent + len > self->max_backlog)
    {
      g_debug ("Client %s: backlog over %" G_GSIZE_FORMAT " bytes, closing", self->client_id,
               self->max_backlog);
      if (self->close_code == 0)
        self->close_code = 1013;
      close_io (self);
      return;
    }

  /* One buffer, one write: replies are small and a copy is cheaper than a
   * second system call. */
  g_byte_array_append (self->outgoing, header, hlen);
  if (len > 0)
    g_byte_array_append (self->outgoing, payload, (guint) len);

  if (opcode == OP_CLOSE)
    self->close_sent = TRUE;

  if (idle && !flush_outgoing (self) && self->state != STATE_CLOSED)
    start_output (self);
}

/* Appends a ready frame. With nothing queued it goes straight to the
 * socket from the shared buffer: no copy in the common case. */
static void
append_raw (KantorClientConnection *self,
            const guint8           *data,
            gsize                   len)
{
  gsize written = 0;

  if (self->state == STATE_CLOSED || self->close_sent)
    return;

  if (self->outgoing->len - self->outgoing_sent + len > self->max_backlog)
    {
      g_debug ("Client %s: backlog over %" G_GSIZE_FORMAT " bytes, closing", self->client_id,
               self->max_backlog);
      if (self->close_code == 0)
        self->close_code = 1013;
      close_io (self);
      return;
    }

  if (self->outgoing->len == 0 && !self->corked)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (self->output, data, len, NULL,
                                                             &error);

      if (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_debug ("Client %s: write failed: %s", self->client_id, error->message);
          if (self->close_code == 0)
            self->close_code = 1006;
          close_io (self);
          return;
        }
      written = n > 0 ? (gsize) n : 0;
      if (written == len)
        return;
    }

  g_byte_array_append (self->outgoing, data + written, (guint) (len - written));
  if (!self->corked)
    start_output (self);
}

/* Below this many committed bytes, droppable items go to the socket. */
static gsize
low_water (KantorClientConnection *self)
{
  return MAX (self->soft_bound / 4, 16 * 1024);
}

static void
end_episode (KantorClientConnection *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;

  /* Told once per episode, when the peer has caught up: the count is then
   * final and the alert comes right before the fresh items. */
  message = g_strdup_printf ("%" G_GUINT64_FORMAT " market_data/indicators items were dropped "
                             "because this connection did not keep up",
                             self->episode_dropped);
  json_object_set_int_member (fields, "dropped", (gint64) self->episode_dropped);
  json_object_set_int_member (fields, "dropped_total", (gint64) self->n_dropped);
  self->episode_dropped = 0;
  self->episode_bytes = 0;
  text = kantor_envelope_alert ("slow_consumer", NULL, NULL, message, fields);
  send_frame (self, OP_TEXT, text, strlen (text));
}

/* Moves waiting droppable items to the socket while it keeps up. */
static void
pump_pending (KantorClientConnection *self)
{
  while (self->pending.length > 0 && self->state != STATE_CLOSED &&
         self->outgoing->len - self->outgoing_sent < low_water (self))
    {
      g_autoptr(GBytes) frame = g_queue_pop_head (&self->pending);
      gsize size;
      const guint8 *data = g_bytes_get_data (frame, &size);

      self->pending_bytes -= size;
      append_raw (self, data, size);
    }

  if (self->pending.length == 0 && self->episode_dropped > 0 && self->state == STATE_OPEN)
    end_episode (self);
}

/* Droppable items wait in a queue of their own (reliable ones go straight
 * to the byte backlog, ahead of them): past the soft bound the oldest
 * waiting ones are dropped, so what the peer gets when it catches up is
 * current. A peer whose deficit (queued plus dropped since it last caught
 * up) passes the hard bound is not coming back: closed with 1013. */
static void
send_droppable (KantorClientConnection *self,
                GBytes                 *frame)
{
  gsize committed = self->outgoing->len - self->outgoing_sent;
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  if (self->pending.length == 0 && committed < low_water (self))
    {
      append_raw (self, data, size);
      return;
    }

  g_queue_push_tail (&self->pending, g_bytes_ref (frame));
  self->pending_bytes += size;
  while (self->pending.length > 1 && committed + self->pending_bytes > self->soft_bound)
    {
      g_autoptr(GBytes) old = g_queue_pop_head (&self->pending);

      self->pending_bytes -= g_bytes_get_size (old);
      self->episode_bytes += g_bytes_get_size (old);
      self->episode_dropped++;
      self->n_dropped++;
    }

  if (committed + self->pending_bytes + self->episode_bytes > self->hard_bound)
    {
      g_debug ("Client %s: %" G_GSIZE_FORMAT " bytes behind, closing", self->client_id,
               committed + self->pending_bytes + self->episode_bytes);
      if (self->close_code == 0)
        self->close_code = 1013;
      close_io (self);
      return;
    }

  start_output (self);
}

static void
send_close (KantorClientConnection *self,
            gushort                 code,
            const char             *reason)
{
  guint8 payload[125];
  gsize len = 0;

  if (self->close_sent || self->state == STATE_CLOSED)
    return;

  if (code != 0)
    {
      payload[0] = (guint8) (code >> 8);
      payload[1] = (guint8) code;
      len = 2;
      if (reason != NULL)
        {
          gsize rlen = MIN (strlen (reason), sizeof payload - 2);

          memcpy (payload + 2, reason, rlen);
          len += rlen;
        }
    }

  if (self->close_code == 0)
    self->close_code = code;
  self->state = STATE_CLOSING;
  send_frame (self, OP_CLOSE, payload, len);

  /* A peer that never answers is not waited for. */
  if (self->close_timeout_id == 0 && self->state != STATE_CLOSED)
    self->close_timeout_id = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
}

static void
fail (KantorClientConnection *self,
      gushort                 code,
      const char             *reason)
{
  g_debug ("Closing client %s: %s (%u)", self->client_id, reason, code);
  /* Lingering close: the close frame, then our half of the TCP stream;
   * what the peer still sends is read and dropped (closing with unread
   * data would reset the connection and could lose the close frame) until
   * its EOF or the timeout. */
  self->draining = TRUE;
  self->shutdown_after_flush = TRUE;
  send_close (self, code, reason);
}

static void
deliver (KantorClientConnection *self,
         const guint8           *data,
         gsize                   len)
{
  if (!g_utf8_validate_len ((const char *) data, len, NULL))
    {
      fail (self, 1007, "Invalid UTF-8 in a text message");
      return;
    }

  if (self->message_func != NULL)
    self->message_func (self, (const char *) data, len, self->message_data);
}

static void
receive_close (KantorClientConnection *self,
               const guint8           *data,
               gsize                   len)
{
  gushort code = len >= 2 ? (gushort) ((data[0] << 8) | data[1]) : 0;

  self->close_received = TRUE;
  if (self->close_code == 0)
    self->close_code = len >= 2 ? code : 1005;

  if (self->close_sent)
    {
      /* Our close was answered. */
      close_io (self);
      return;
    }

  /* Answer with the same code, then hang up once it is written. */
  self->close_after_flush = TRUE;
  send_close (self, len >= 2 ? code : 1000, NULL);
  if (self->state != STATE_CLOSED && kantor_client_connection_get_backlog (self) == 0)
    close_io (self);
}

/* Parses and handles every complete frame in self->incoming. */
static void
process_incoming (KantorClientConnection *self)
{
  gsize pos = 0;

  while (self->state != STATE_CLOSED && !self->close_received && !self->draining)
    {
      guint8 *p = self->incoming->data + pos;
      gsize avail = self->incoming->len - pos;
      gsize hlen = 2;
      guint64 plen;
      gboolean fin, masked, control;
      guint8 opcode;
      guint8 *payload;

      if (avail < 2)
        break;

      fin = (p[0] & 0x80) != 0;
      opcode = p[0] & 0x0f;
      masked = (p[1] & 0x80) != 0;
      control = (opcode & 0x08) != 0;
      plen = p[1] & 0x7f;

      /* Clients must mask; no extension was negotiated, so no RSV bit. */
      if ((p[0] & 0x70) != 0 || !masked)
        {
          fail (self, 1002, "Protocol error");
          break;
        }

      if (plen == 126)
        {
          if (avail < 4)
            break;
          plen = ((guint64) p[2] << 8) | p[3];
          hlen = 4;
        }
      else if (plen == 127)
        {
          if (avail < 10)
            break;
          plen = 0;
          for (guint i = 0; i < 8; i++)
            plen = (plen << 8) | p[2 + i];
          hlen = 10;
        }

      if (control)
        {
          if (!fin || plen > 125)
            {
              fail (self, 1002, "Protocol error");
              break;
            }
        }
      else
        {
          /* Refused before it is buffered: the bound holds for the whole
           * message however it is fragmented. */
          gsize so_far = self->message_opcode != 0 ? self->message->len : 0;

          if (opcode == OP_BINARY)
            {
              fail (self, 1003, "Binary messages are not supported");
              break;
            }
          if (plen > self->max_message_size || so_far + plen > self->max_message_size)
            {
              fail (self, 1009, "Message too big");
              break;
            }
          if ((opcode == OP_CONTINUATION) != (self->message_opcode != 0) ||
              (opcode != OP_CONTINUATION && opcode != OP_TEXT))
            {
              fail (self, 1002, "Protocol error");
              break;
            }
        }

      if (avail < hlen + 4 + plen)
        break;

      payload = p + hlen + 4;
      for (gsize i = 0; i < plen; i++)
        payload[i] ^= p[hlen + (i & 3)];
      pos += hlen + 4 + (gsize) plen;
      self->last_seen = g_get_monotonic_time ();

      switch (opcode)
        {
        case OP_TEXT:
          if (fin)
            {
              deliver (self, payload, (gsize) plen);
            }
          else
            {
              self->message_opcode = OP_TEXT;
              g_byte_array_set_size (self->message, 0);
              g_byte_array_append (self->message, payload, (guint) plen);
            }
          break;

        case OP_CONTINUATION:
          g_byte_array_append (self->message, payload, (guint) plen);
          if (fin)
            {
              self->message_opcode = 0;
              deliver (self, self->message->data, self->message->len);
              if (self->message != NULL)
                g_byte_array_set_size (self->message, 0);
            }
          break;

        case OP_CLOSE:
          receive_close (self, payload, (gsize) plen);
          break;

        case OP_PING:
          if (self->state == STATE_OPEN)
            send_frame (self, OP_PONG, payload, (gsize) plen);
          break;

        case OP_PONG:
          break;

        default:
          fail (self, 1002, "Protocol error");
          break;
        }
    }

  if (self->state != STATE_CLOSED && pos > 0)
    g_byte_array_remove_range (self->incoming, 0, (guint) pos);
}

static gboolean
on_input_ready (KantorClientConnection *self)
{
  g_autoptr(GError) error = NULL;
  guint8 chunk[READ_CHUNK];
  gssize n;
  gboolean keep;

  g_object_ref (self);

  /* Read on the stack and keep only what is unparsed: an idle connection
   * then holds a few bytes, not a read buffer (1 000 clients, 16 MiB). */
  n = g_pollable_input_stream_read_nonblocking (self->input, chunk, sizeof chunk, NULL, &error);
  if (n > 0)
    g_byte_array_append (self->incoming, chunk, (guint) n);

  if (n > 0 && self->draining)
    {
      g_byte_array_set_size (self->incoming, 0);
    }
  else if (n > 0)
    {
      process_incoming (self);
      if (self->incoming->len == 0 && n > 1024)
        {
          g_byte_array_unref (self->incoming);
          self->incoming = g_byte_array_new ();
        }
    }
  else if (n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      if (error != NULL)
        g_debug ("Client %s: read failed: %s", self->client_id, error->message);
      if (self->close_code == 0)
        self->close_code = 1006;
      close_io (self);
    }

  /* The watch is level-triggered: data left in the socket fires it again,
   * so one read per wake-up is enough. */
  keep = self->state != STATE_CLOSED && self->input_source != NULL && !self->close_received;
  if (!keep)
    drop_source (&self->input_source);
  g_object_unref (self);

  return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
kantor_client_connection_dispose (GObject *object)
{
  KantorClientConnection *self = KANTOR_CLIENT_CONNECTION (object);

  if (self->hook_destroy != NULL)
    g_clear_pointer (&self->hook_data, self->hook_destroy);
  self->hook = NULL;
  self->hook_destroy = NULL;

  if (self->state != STATE_CLOSED)
    {
      /* Last ref gone while open: say goodbye without waiting. */
      send_close (self, 1001, NULL);
      close_io (self);
    }
  g_clear_object (&self->stream);
  g_clear_object (&self->socket);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (kantor_client_connection_parent_class)->dispose (object);
}

static void
kantor_client_connection_finalize (GObject *object)
{
  KantorClientConnection *self = KANTOR_CLIENT_CONNECTION (object);

  if (self->sink_destroy != NULL)
    g_clear_pointer (&self->sink_data, self->sink_destroy);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->grant, kantor_auth_grant_free);
  g_clear_pointer (&self->incoming, g_byte_array_unref);
  g_clear_pointer (&self->message, g_byte_array_unref);
  g_clear_pointer (&self->outgoing, g_byte_array_unref);
  g_queue_clear_full (&self->pending, (GDestroyNotify) g_bytes_unref);
  g_free (self->client_id);
  g_free (self->peer_address);

  G_OBJECT_CLASS (kantor_client_connection_parent_class)->finalize (object);
}

static void
kantor_client_connection_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  KantorClientConnection *self = KANTOR_CLIENT_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_AUTHENTICATED:
      g_value_set_boolean (value, self->grant != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_client_connection_class_init (KantorClientConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_client_connection_dispose;
  object_class->finalize = kantor_client_connection_finalize;
  object_class->get_property = kantor_client_connection_get_property;

  properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTHENTICATED] =
    g_param_spec_boolean ("authenticated", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KantorClientConnection::closed:
   *
   * The connection is gone (close handshake done, peer vanished, protocol
   * violation). Emitted once.
   */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kantor_client_connection_init (KantorClientConnection *self)
{
  self->client_id = g_uuid_string_random ();
  self->cancellable = g_cancellable_new ();
  self->last_seen = g_get_monotonic_time ();
  self->incoming = g_byte_array_new ();
  self->message = g_byte_array_new ();
  self->outgoing = g_byte_array_new ();
  self->max_message_size = DEFAULT_MAX_MESSAGE;
  self->max_backlog = DEFAULT_MAX_BACKLOG;
  self->soft_bound = DEFAULT_SOFT_BOUND;
  self->hard_bound = DEFAULT_HARD_BOUND;
  g_queue_init (&self->pending);
}

static gboolean
initial_read_cb (gpointer user_data)
{
  KantorClientConnection *self = user_data;

  self->initial_read_id = 0;
  if (self->input_source != NULL)
    on_input_ready (self);
  return G_SOURCE_REMOVE;
}

/* libsoup hands over its own stream wrapper; the socket is underneath. */
static GSocket *
find_socket (GIOStream *stream)
{
  g_autoptr(GIOStream) current = g_object_ref (stream);

  for (guint depth = 0; depth < 4 && current != NULL; depth++)
    {
      GIOStream *base = NULL;

      if (G_IS_SOCKET_CONNECTION (current))
        return g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (current)));
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (current), "base-iostream") == NULL)
        break;
      g_object_get (current, "base-iostream", &base, NULL);
      g_set_object (&current, base);
      g_clear_object (&base);
    }

  return NULL;
}

KantorClientConnection *
kantor_client_connection_new (GIOStream  *stream,
                              const char *peer_address)
{
  KantorClientConnection *self;
  GInputStream *in;
  GOutputStream *out;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  in = g_io_stream_get_input_stream (stream);
  out = g_io_stream_get_output_stream (stream);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (in), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (out), NULL);

  self = g_object_new (KANTOR_TYPE_CLIENT_CONNECTION, NULL);
  self->stream = g_object_ref (stream);
  self->socket = find_socket (stream);
  self->input = G_POLLABLE_INPUT_STREAM (in);
  self->output = G_POLLABLE_OUTPUT_STREAM (out);
  self->peer_address = g_strdup (peer_address != NULL ? peer_address : "");

  self->input_source = create_source (self, G_IO_IN);
  /* libsoup may have read past the handshake: a first read picks up what
   * it buffered, which no socket readiness would announce. */
  self->initial_read_id = g_idle_add (initial_read_cb, self);

  return self;
}

KantorClientConnection *
kantor_client_connection_new_for_request (const char        *peer_address,
                                          KantorMessageFunc  sink,
                                          gpointer           sink_data,
                                          GDestroyNotify     destroy)
{
  KantorClientConnection *self;

  g_return_val_if_fail (sink != NULL, NULL);

  self = g_object_new (KANTOR_TYPE_CLIENT_CONNECTION, NULL);
  self->peer_address = g_strdup (peer_address != NULL ? peer_address : "");
  self->sink = sink;
  self->sink_data = sink_data;
  self->sink_destroy = destroy;
  return self;
}

const char *
kantor_client_connection_get_client_id (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), NULL);
  return self->client_id;
}

const char *
kantor_client_connection_get_peer_address (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), NULL);
  return self->peer_address;
}

void
kantor_client_connection_set_message_func (KantorClientConnection *self,
                                           KantorMessageFunc       func,
                                           gpointer                user_data)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));
  self->message_func = func;
  self->message_data = user_data;
}

void
kantor_client_connection_set_max_message_size (KantorClientConnection *self,
                                               gsize                   max_size)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));
  self->max_message_size = max_size;
}

void
kantor_client_connection_set_max_backlog (KantorClientConnection *self,
                                          gsize                   max_backlog)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));
  self->max_backlog = MAX (max_backlog, 1024);
}

gsize
kantor_client_connection_get_backlog (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), 0);
  return self->outgoing->len - self->outgoing_sent;
}

void
kantor_client_connection_ping (KantorClientConnection *self)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));
  if (self->state == STATE_OPEN)
    send_frame (self, OP_PING, NULL, 0);
}

gushort
kantor_client_connection_get_close_code (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), 0);
  return self->close_code;
}

GCancellable *
kantor_client_connection_get_cancellable (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), NULL);
  return self->cancellable;
}

gboolean
kantor_client_connection_is_open (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), FALSE);
  return self->state == STATE_OPEN;
}

gboolean
kantor_client_connection_is_authenticated (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), FALSE);
  return self->grant != NULL;
}

const KantorAuthGrant *
kantor_client_connection_get_grant (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), NULL);
  return self->grant;
}

/**
 * kantor_client_connection_set_grant:
 * @grant: (transfer full) (nullable): the new identity, or %NULL to forget it
 */
void
kantor_client_connection_set_grant (KantorClientConnection *self,
                                    KantorAuthGrant        *grant)
{
  gboolean was;

  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));

  was = self->grant != NULL;
  g_clear_pointer (&self->grant, kantor_auth_grant_free);
  self->grant = grant;
  if (was != (grant != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTHENTICATED]);
}

void
kantor_client_connection_set_rate_limit (KantorClientConnection *self,
                                         double                  rate,
                                         double                  burst)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));

  self->rate = MAX (rate, 0.0);
  self->burst = MAX (burst, 1.0);
  self->tokens = self->burst;
  self->refilled_at = g_get_monotonic_time ();
}

gboolean
kantor_client_connection_take_token (KantorClientConnection *self,
                                     gint64                  now_us)
{
  if (self->rate <= 0.0)
    return TRUE;

  if (now_us > self->refilled_at)
    {
      self->tokens += self->rate * (double) (now_us - self->refilled_at) / G_USEC_PER_SEC;
      if (self->tokens > self->burst)
        self->tokens = self->burst;
      self->refilled_at = now_us;
    }

  if (self->tokens < 1.0)
    return FALSE;

  self->tokens -= 1.0;
  return TRUE;
}

void
kantor_client_connection_touch (KantorClientConnection *self,
                                gint64                  now_us)
{
  self->last_seen = now_us;
}

gint64
kantor_client_connection_get_last_seen (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), 0);
  return self->last_seen;
}

void
kantor_client_connection_set_outgoing_hook (KantorClientConnection *self,
                                            KantorOutgoingHook      hook,
                                            gpointer                user_data,
                                            GDestroyNotify          destroy)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));

  if (self->hook_destroy != NULL)
    g_clear_pointer (&self->hook_data, self->hook_destroy);
  self->hook = hook;
  self->hook_data = user_data;
  self->hook_destroy = destroy;
}

gboolean
kantor_client_connection_send_now (KantorClientConnection *self,
                                   const char             *text)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), FALSE);

  if (self->state != STATE_OPEN)
    return FALSE;

  send_frame (self, OP_TEXT, text, strlen (text));
  return TRUE;
}

gboolean
kantor_client_connection_send (KantorClientConnection *self,
                               const char             *text,
                               KantorOutgoingKind      kind)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), FALSE);

  if (!kantor_client_connection_is_open (self))
    return FALSE;

  if (self->hook != NULL && self->hook (self, text, kind, self->hook_data))
    return TRUE;

  return kantor_client_connection_send_now (self, text);
}

void
kantor_client_connection_reply (KantorClientConnection *self,
                                JsonNode               *id,
                                const char             *status,
                                JsonObject             *data)
{
  g_autofree char *text = NULL;

  if (!kantor_client_connection_is_open (self))
    return;

  text = kantor_envelope_response (id, status, data);
  kantor_client_connection_send (self, text, KANTOR_OUTGOING_RELIABLE);
}

void
kantor_client_connection_reply_error (KantorClientConnection *self,
                                      JsonNode               *id,
                                      KantorErrorCode         code,
                                      const char             *message,
                                      JsonObject             *details)
{
  g_autofree char *text = NULL;

  if (!kantor_client_connection_is_open (self))
    return;

  text = kantor_envelope_error (id, code, message, details);
  kantor_client_connection_send (self, text, KANTOR_OUTGOING_RELIABLE);
}

void
kantor_client_connection_reply_gerror (KantorClientConnection *self,
                                       JsonNode               *id,
                                       const GError           *error)
{
  KantorErrorCode code = kantor_error_code_from_gerror (error);

  if (code == KANTOR_ERROR_CODE_HANDLER_ERROR)
    {
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *correlation_id = g_uuid_string_random ();

      /* The client sees a reference, the log has the cause. */
      g_warning ("Request from client %s failed [%s]: %s (%s, %d)", self->client_id,
                 correlation_id, error->message, g_quark_to_string (error->domain),
                 error->code);
      json_object_set_string_member (details, "correlation_id", correlation_id);
      kantor_client_connection_reply_error (self, id, code, NULL, details);
      return;
    }

  kantor_client_connection_reply_error (self, id, code, error->message, NULL);
}

void
kantor_client_connection_send_status (KantorClientConnection *self,
                                      JsonNode               *id,
                                      const char             *status,
                                      JsonObject             *fields)
{
  g_autofree char *text = NULL;

  if (!kantor_client_connection_is_open (self))
    return;

  text = kantor_envelope_status (id, status, fields);
  kantor_client_connection_send (self, text, KANTOR_OUTGOING_RELIABLE);
}

void
kantor_client_connection_close (KantorClientConnection *self,
                                gushort                 code,
                                const char             *reason)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));

  if (self->state == STATE_OPEN)
    send_close (self, code, reason);
}

/**
 * kantor_client_connection_frame_text:
 *
 * Frames @len bytes of @text as one unmasked text frame: built once, the
 * same bytes can go to any number of connections.
 */
GBytes *
kantor_client_connection_frame_text (const char *text,
                                     gsize       len)
{
  guint8 *buf = g_malloc (len + 10);
  guint hlen;

  buf[0] = (guint8) (0x80 | OP_TEXT);
  if (len < 126)
    {
      buf[1] = (guint8) len;
      hlen = 2;
    }
  else if (len <= G_MAXUINT16)
    {
      buf[1] = 126;
      buf[2] = (guint8) (len >> 8);
      buf[3] = (guint8) len;
      hlen = 4;
    }
  else
    {
      buf[1] = 127;
      for (guint i = 0; i < 8; i++)
        buf[2 + i] = (guint8) ((guint64) len >> (56 - 8 * i));
      hlen = 10;
    }
  memcpy (buf + hlen, text, len);

  return g_bytes_new_take (buf, hlen + len);
}

gboolean
kantor_client_connection_send_frame (KantorClientConnection *self,
                                     GBytes                 *frame,
                                     KantorOutgoingKind      kind)
{
  gsize size;
  const guint8 *data;

  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  /* Pre-framed bytes are for sockets; a request has no stream to join. */
  if (self->state != STATE_OPEN || self->stream == NULL)
    return FALSE;

  if (kind == KANTOR_OUTGOING_DROPPABLE)
    {
      send_droppable (self, frame);
      return TRUE;
    }

  data = g_bytes_get_data (frame, &size);
  append_raw (self, data, size);
  return TRUE;
}

void
kantor_client_connection_set_flow_control (KantorClientConnection *self,
                                           gsize                   soft_bound,
                                           gsize                   hard_bound)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));

  self->soft_bound = MAX (soft_bound, 1024);
  self->hard_bound = MAX (hard_bound, self->soft_bound);
}

guint64
kantor_client_connection_get_n_dropped (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), 0);
  return self->n_dropped;
}

gsize
kantor_client_connection_get_pending (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), 0);
  return self->pending_bytes;
}

gboolean
kantor_client_connection_cork (KantorClientConnection *self)
{
  g_return_val_if_fail (KANTOR_IS_CLIENT_CONNECTION (self), FALSE);

  if (self->corked || self->state != STATE_OPEN)
    return FALSE;
  self->corked = TRUE;
  return TRUE;
}

void
kantor_client_connection_uncork (KantorClientConnection *self)
{
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (self));

  if (!self->corked)
    return;
  self->corked = FALSE;
  if (self->state == STATE_CLOSED || self->output_source != NULL || self->outgoing->len == 0)
    return;

  g_object_ref (self);
  if (!flush_outgoing (self))
    start_output (self);
  else if (self->pending.length > 0)
    pump_pending (self);
  g_object_unref (self);
}
