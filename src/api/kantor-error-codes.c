/* kantor-error-codes.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libsoup/soup.h>

#include "kantor-auth.h"
#include "kantor-error-codes.h"
#include "kantor-json.h"

G_DEFINE_QUARK (kantor-protocol-error-quark, kantor_protocol_error)

typedef struct
{
  const char *name;
  const char *message;
  guint       http_status;
} ErrorCodeInfo;

static const ErrorCodeInfo error_codes[KANTOR_N_ERROR_CODES] = {
  [KANTOR_ERROR_CODE_AUTHENTICATION_REQUIRED] =
    { "authentication_required", "This request needs an authenticated connection.",
      SOUP_STATUS_UNAUTHORIZED },
  [KANTOR_ERROR_CODE_INVALID_TOKEN] =
    { "invalid_token", "The token is not valid.", SOUP_STATUS_UNAUTHORIZED },
  [KANTOR_ERROR_CODE_TOKEN_EXPIRED] =
    { "token_expired", "The token has expired.", SOUP_STATUS_UNAUTHORIZED },
  [KANTOR_ERROR_CODE_INVALID_CREDENTIALS] =
    { "invalid_credentials", "The user name or password is wrong.", SOUP_STATUS_UNAUTHORIZED },
  [KANTOR_ERROR_CODE_INVALID_JSON] =
    { "invalid_json", "The message is not a JSON object.", SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_VALIDATION_ERROR] =
    { "validation_error", "A field is missing or has the wrong type.", SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_UNKNOWN_MESSAGE_TYPE] =
    { "unknown_message_type", "The message type is not known.", SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED] =
    { "rate_limit_exceeded", "Too many requests; slow down and retry.",
      429 /* Too Many Requests: not in SoupStatus 3.2 */ },
  [KANTOR_ERROR_CODE_HANDLER_ERROR] =
    { "handler_error", "An internal error occurred while handling the request.",
      SOUP_STATUS_INTERNAL_SERVER_ERROR },
  [KANTOR_ERROR_CODE_ROUTING_ERROR] =
    { "routing_error", "The request could not be routed.", SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_COMMAND_FAILED] =
    { "command_failed", "The command failed.", SOUP_STATUS_UNPROCESSABLE_ENTITY },
  [KANTOR_ERROR_CODE_MESSAGE_PROCESSING_ERROR] =
    { "message_processing_error", "The message could not be processed.",
      SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_SERVICE_UNAVAILABLE] =
    { "service_unavailable", "The service needed for this request is not available.",
      SOUP_STATUS_SERVICE_UNAVAILABLE },
  [KANTOR_ERROR_CODE_INVALID_SESSION_TYPE] =
    { "invalid_session_type", "The session type must be backtest, paper or live.",
      SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG] =
    { "missing_strategy_config", "The request needs a strategy_config.",
      SOUP_STATUS_BAD_REQUEST },
  [KANTOR_ERROR_CODE_STRATEGY_ACTIVATION_FAILED] =
    { "strategy_activation_failed", "The strategy could not be activated.",
      SOUP_STATUS_UNPROCESSABLE_ENTITY },
  [KANTOR_ERROR_CODE_SESSION_CONFLICT] =
    { "session_conflict", "Another session already trades these symbols.",
      SOUP_STATUS_CONFLICT },
  [KANTOR_ERROR_CODE_BUDGET_CAP_EXCEEDED] =
    { "budget_cap_exceeded", "The allocations exceed the global cap.",
      SOUP_STATUS_UNPROCESSABLE_ENTITY },
  [KANTOR_ERROR_CODE_SESSION_NOT_FOUND] =
    { "session_not_found", "No session has this identifier.", SOUP_STATUS_NOT_FOUND },
  [KANTOR_ERROR_CODE_STRATEGY_NOT_FOUND] =
    { "strategy_not_found", "No such strategy or activation.", SOUP_STATUS_NOT_FOUND },
  [KANTOR_ERROR_CODE_COLLECTION_NOT_FOUND] =
    { "collection_not_found", "No collection has this identifier.", SOUP_STATUS_NOT_FOUND },
  [KANTOR_ERROR_CODE_NOT_FOUND] =
    { "not_found", "Nothing is served at this path.", SOUP_STATUS_NOT_FOUND },
  [KANTOR_ERROR_CODE_METHOD_NOT_ALLOWED] =
    { "method_not_allowed", "This path does not accept that method.",
      SOUP_STATUS_METHOD_NOT_ALLOWED },
  [KANTOR_ERROR_CODE_TOO_MANY_CONNECTIONS] =
    { "too_many_connections", "The server has reached its connection limit.",
      SOUP_STATUS_SERVICE_UNAVAILABLE },
  [KANTOR_ERROR_CODE_WEBSOCKET_REQUIRED] =
    { "websocket_required", "This needs a WebSocket connection.",
      426 /* Upgrade Required: not in SoupStatus 3.2 */ },
};

typedef struct
{
  GQuark          domain;
  int             code_in_domain;
  KantorErrorCode code;
} DomainMapping;

/* Filled once with the built-in domains, then by kantor_error_codes_register().
 * Only touched from the main thread. */
static GArray *domain_mappings;

static void
add_mapping (GQuark          domain,
             int             code_in_domain,
             KantorErrorCode code)
{
  DomainMapping m = { domain, code_in_domain, code };

  for (guint i = 0; i < domain_mappings->len; i++)
    {
      DomainMapping *old = &g_array_index (domain_mappings, DomainMapping, i);

      if (old->domain == domain && old->code_in_domain == code_in_domain)
        {
          old->code = code;
          return;
        }
    }
  g_array_append_val (domain_mappings, m);
}

static void
ensure_mappings (void)
{
  GQuark auth;

  if (domain_mappings != NULL)
    return;

  domain_mappings = g_array_new (FALSE, FALSE, sizeof (DomainMapping));
  auth = KANTOR_AUTH_ERROR;
  add_mapping (auth, KANTOR_AUTH_ERROR_INVALID_TOKEN, KANTOR_ERROR_CODE_INVALID_TOKEN);
  add_mapping (auth, KANTOR_AUTH_ERROR_TOKEN_EXPIRED, KANTOR_ERROR_CODE_TOKEN_EXPIRED);
  add_mapping (auth, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS,
               KANTOR_ERROR_CODE_INVALID_CREDENTIALS);
  add_mapping (auth, KANTOR_AUTH_ERROR_RATE_LIMITED, KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED);
  add_mapping (auth, KANTOR_AUTH_ERROR_INVALID_USERNAME, KANTOR_ERROR_CODE_VALIDATION_ERROR);
  add_mapping (auth, KANTOR_AUTH_ERROR_USER_EXISTS, KANTOR_ERROR_CODE_VALIDATION_ERROR);
  add_mapping (auth, KANTOR_AUTH_ERROR_WEAK_PASSWORD, KANTOR_ERROR_CODE_VALIDATION_ERROR);
  add_mapping (auth, KANTOR_AUTH_ERROR_WEAK_SECRET, KANTOR_ERROR_CODE_HANDLER_ERROR);
  add_mapping (auth, KANTOR_AUTH_ERROR_FAILED, KANTOR_ERROR_CODE_HANDLER_ERROR);

  add_mapping (KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_INVALID_UTF8, KANTOR_ERROR_CODE_INVALID_JSON);
  add_mapping (KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_DEEP, KANTOR_ERROR_CODE_INVALID_JSON);
  add_mapping (KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_LARGE, KANTOR_ERROR_CODE_INVALID_JSON);
}

const char *
kantor_error_code_to_string (KantorErrorCode code)
{
  g_return_val_if_fail (code < KANTOR_N_ERROR_CODES, "handler_error");
  return error_codes[code].name;
}

const char *
kantor_error_code_get_message (KantorErrorCode code)
{
  g_return_val_if_fail (code < KANTOR_N_ERROR_CODES, error_codes[0].message);
  return error_codes[code].message;
}

guint
kantor_error_code_get_http_status (KantorErrorCode code)
{
  g_return_val_if_fail (code < KANTOR_N_ERROR_CODES, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  return error_codes[code].http_status;
}

gboolean
kantor_error_code_from_string (const char      *str,
                               KantorErrorCode *code)
{
  for (guint i = 0; i < KANTOR_N_ERROR_CODES; i++)
    {
      if (g_strcmp0 (str, error_codes[i].name) == 0)
        {
          if (code != NULL)
            *code = (KantorErrorCode) i;
          return TRUE;
        }
    }
  return FALSE;
}

KantorErrorCode
kantor_error_code_from_gerror (const GError *error)
{
  g_return_val_if_fail (error != NULL, KANTOR_ERROR_CODE_HANDLER_ERROR);

  if (error->domain == KANTOR_PROTOCOL_ERROR)
    {
      if (error->code >= 0 && error->code < KANTOR_N_ERROR_CODES)
        return (KantorErrorCode) error->code;
      return KANTOR_ERROR_CODE_HANDLER_ERROR;
    }

  /* Whatever json-glib's parser refuses is, to a client, not JSON. */
  if (error->domain == JSON_PARSER_ERROR)
    return KANTOR_ERROR_CODE_INVALID_JSON;

  ensure_mappings ();
  for (guint i = 0; i < domain_mappings->len; i++)
    {
      const DomainMapping *m = &g_array_index (domain_mappings, DomainMapping, i);

      if (m->domain == error->domain && m->code_in_domain == error->code)
        return m->code;
    }

  return KANTOR_ERROR_CODE_HANDLER_ERROR;
}

void
kantor_error_codes_register (GQuark          domain,
                             int             code_in_domain,
                             KantorErrorCode code)
{
  g_return_if_fail (code < KANTOR_N_ERROR_CODES);

  ensure_mappings ();
  add_mapping (domain, code_in_domain, code);
}
