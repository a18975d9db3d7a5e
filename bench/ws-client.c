/* ws-client.c
 *
 * Raw sockets and a fixed mask: the load clients must cost as little as
 * possible, and they are never exposed to the cache poisoning that random
 * masks guard browsers against.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-client.h"

void
ws_client_die (const char *what)
{
  fprintf (stderr, "%s: %s: %s\n", g_get_prgname () ? g_get_prgname () : "ws-client", what,
           g_strerror (errno));
  exit (1);
}

void
ws_client_write_all (int         fd,
                     const void *data,
                     gsize       len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          ws_client_die ("write");
        }
      p += n;
      len -= (gsize) n;
    }
}

void
ws_client_send_frame (int         fd,
                      guint8      opcode,
                      const char *payload,
                      gsize       len)
{
  static const guint8 mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  guint8 small[256];
  g_autofree guint8 *large = NULL;
  guint8 *frame = small;
  gsize at = 0;

  g_assert (len <= G_MAXUINT16);
  if (len + 8 > sizeof small)
    frame = large = g_malloc (len + 8);

  frame[at++] = (guint8) (0x80 | opcode);
  if (len < 126)
    frame[at++] = (guint8) (0x80 | len);
  else
    {
      frame[at++] = 0x80 | 126;
      frame[at++] = (guint8) (len >> 8);
      frame[at++] = (guint8) len;
    }
  memcpy (frame + at, mask, 4);
  at += 4;
  for (gsize i = 0; i < len; i++)
    frame[at++] = (guint8) payload[i] ^ mask[i % 4];
  ws_client_write_all (fd, frame, at);
}

gboolean
ws_client_parse_frame (const guint8  *buf,
                       gsize          len,
                       guint8        *opcode,
                       const guint8 **payload,
                       gsize         *payload_len,
                       gsize         *frame_len)
{
  gsize hdr = 2;
  guint64 plen;

  if (len < 2)
    return FALSE;
  plen = buf[1] & 0x7f;
  if (plen == 126)
    {
      if (len < 4)
        return FALSE;
      plen = ((guint64) buf[2] << 8) | buf[3];
      hdr = 4;
    }
  else if (plen == 127)
    {
      if (len < 10)
        return FALSE;
      plen = 0;
      for (guint k = 0; k < 8; k++)
        plen = (plen << 8) | buf[2 + k];
      hdr = 10;
    }
  if (len < hdr + plen)
    return FALSE;

  *opcode = buf[0] & 0x0f;
  *payload = buf + hdr;
  *payload_len = (gsize) plen;
  *frame_len = hdr + (gsize) plen;
  return TRUE;
}

int
ws_client_tcp_connect (const char *host,
                       guint       port)
{
  struct sockaddr_in addr = { 0 };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    ws_client_die ("socket");
  addr.sin_family = AF_INET;
  addr.sin_port = htons ((guint16) port);
  if (inet_pton (AF_INET, host, &addr.sin_addr) != 1)
    {
      fprintf (stderr, "%s: bad host %s\n", g_get_prgname (), host);
      exit (2);
    }
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    ws_client_die ("connect");
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int
ws_client_connect (const char *host,
                   guint       port,
                   const char *token)
{
  g_autofree char *request = NULL;
  char response[4096];
  gsize got = 0;
  int fd = ws_client_tcp_connect (host, port);

  request = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                             host, port, token ? "Authorization: Bearer " : "",
                             token ? token : "", token ? "\r\n" : "");
  ws_client_write_all (fd, request, strlen (request));

  /* Byte by byte, so that no frame bytes are consumed with the headers. */
  while (got < sizeof response - 1)
    {
      ssize_t n = read (fd, response + got, 1);

      if (n <= 0)
        ws_client_die ("handshake read");
      got++;
      if (got >= 4 && memcmp (response + got - 4, "\r\n\r\n", 4) == 0)
        break;
    }
  response[got] = '\0';
  if (strncmp (response, "HTTP/1.1 101", 12) != 0)
    {
      fprintf (stderr, "%s: upgrade refused: %.*s\n", g_get_prgname (), (int) MIN (got, 80),
               response);
      exit (1);
    }
  return fd;
}
