/* kantor-router.h: the one table from message type to handler
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kantor-client-connection.h"
#include "kantor-error-codes.h"

G_BEGIN_DECLS

/* JSON types a field accepts (a mask). */
typedef enum
{
  KANTOR_FIELD_STRING  = 1 << 0,
  KANTOR_FIELD_INTEGER = 1 << 1,
  KANTOR_FIELD_NUMBER  = 1 << 2,  /* integer or not */
  KANTOR_FIELD_BOOLEAN = 1 << 3,
  KANTOR_FIELD_OBJECT  = 1 << 4,
  KANTOR_FIELD_ARRAY   = 1 << 5,
  KANTOR_FIELD_NULL    = 1 << 6,  /* an explicit null is accepted (and means absent) */
} KantorFieldType;

typedef struct
{
  const char      *name;
  KantorFieldType  types;
  gboolean         required;
  /* Answered when a required field is missing; the zero value is
   * validation_error. */
  KantorErrorCode  missing_code;
} KantorRouteField;

typedef enum
{
  KANTOR_ROUTE_DEFAULT      = 0,       /* needs an authenticated connection */
  KANTOR_ROUTE_PUBLIC       = 1 << 0,  /* allowed before authentication */
} KantorRouteFlags;

/* Called after the envelope, authentication and every field have been
 * checked. @id and @message belong to the router: copy or ref them to keep
 * them past the call (async work also holds a ref on @connection and uses
 * its cancellable). */
typedef void (*KantorRouteHandler) (KantorClientConnection *connection,
                                    JsonNode               *id,
                                    JsonObject             *message,
                                    gpointer                user_data);

typedef struct
{
  const char             *type;
  /* NULL: the request is routed and validated, and answers
   * service_unavailable naming @service. */
  KantorRouteHandler      handler;
  KantorRouteFlags        flags;
  /* Terminated by an entry with a NULL name; may be NULL for no fields.
   * Fields not listed (other than type and id) are refused. */
  const KantorRouteField *fields;
  /* What serves this type, for the service_unavailable message. */
  const char             *service;
} KantorRoute;

typedef struct _KantorRouter KantorRouter;

KantorRouter      *kantor_router_new            (void);
void               kantor_router_free           (KantorRouter       *self);

/* Adds @route (copied; its strings and field table must be static), or
 * replaces the route of the same type. */
void               kantor_router_add            (KantorRouter       *self,
                                                 const KantorRoute  *route,
                                                 gpointer            user_data);
void               kantor_router_add_table      (KantorRouter       *self,
                                                 const KantorRoute  *routes,
                                                 gsize               n_routes,
                                                 gpointer            user_data);
/* Plugs a handler into an existing route, keeping its schema and flags.
 * FALSE when no route of that type exists. */
gboolean           kantor_router_set_handler    (KantorRouter       *self,
                                                 const char         *type,
                                                 KantorRouteHandler  handler,
                                                 gpointer            user_data);
const KantorRoute *kantor_router_lookup         (KantorRouter       *self,
                                                 const char         *type);
/* The types that have a handler, sorted (for connected.features). */
GStrv              kantor_router_dup_handled_types (KantorRouter    *self);

/* Limits applied to every incoming message. */
void               kantor_router_set_max_message_size (KantorRouter *self,
                                                       gsize         max_size);

/* Checks and routes one text message from @connection. Every failure is
 * answered on @connection; nothing else changes. */
void               kantor_router_dispatch       (KantorRouter           *self,
                                                 KantorClientConnection *connection,
                                                 const char             *text,
                                                 gsize                   len);

/* Checks @message's fields against @route's schema alone. On failure sets a
 * KANTOR_PROTOCOL_ERROR and, in @field, the offending field's name. */
gboolean           kantor_router_check_fields   (const KantorRoute      *route,
                                                 JsonObject             *message,
                                                 char                  **field,
                                                 GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorRouter, kantor_router_free)

G_END_DECLS
