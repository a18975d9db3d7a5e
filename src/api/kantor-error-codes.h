/* kantor-error-codes.h: the one table of protocol error codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every error_code a client can see. Keep in step with the table in
 * kantor-error-codes.c and with docs/PROTOCOL-NOTES.md. */
typedef enum
{
  /* First, so that a zeroed field in a route table means validation_error. */
  KANTOR_ERROR_CODE_VALIDATION_ERROR = 0,
  KANTOR_ERROR_CODE_AUTHENTICATION_REQUIRED,
  KANTOR_ERROR_CODE_INVALID_TOKEN,
  KANTOR_ERROR_CODE_TOKEN_EXPIRED,
  KANTOR_ERROR_CODE_INVALID_CREDENTIALS,
  KANTOR_ERROR_CODE_INVALID_JSON,
  KANTOR_ERROR_CODE_UNKNOWN_MESSAGE_TYPE,
  KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED,
  KANTOR_ERROR_CODE_HANDLER_ERROR,
  KANTOR_ERROR_CODE_ROUTING_ERROR,
  KANTOR_ERROR_CODE_COMMAND_FAILED,
  KANTOR_ERROR_CODE_MESSAGE_PROCESSING_ERROR,
  KANTOR_ERROR_CODE_SERVICE_UNAVAILABLE,
  KANTOR_ERROR_CODE_INVALID_SESSION_TYPE,
  KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG,
  KANTOR_ERROR_CODE_STRATEGY_ACTIVATION_FAILED,
  KANTOR_ERROR_CODE_SESSION_CONFLICT,
  KANTOR_ERROR_CODE_BUDGET_CAP_EXCEEDED,
  KANTOR_ERROR_CODE_SESSION_NOT_FOUND,
  KANTOR_ERROR_CODE_STRATEGY_NOT_FOUND,
  KANTOR_ERROR_CODE_COLLECTION_NOT_FOUND,
  KANTOR_ERROR_CODE_NOT_FOUND,
  KANTOR_ERROR_CODE_METHOD_NOT_ALLOWED,
  KANTOR_ERROR_CODE_TOO_MANY_CONNECTIONS,
  KANTOR_ERROR_CODE_WEBSOCKET_REQUIRED,
  KANTOR_N_ERROR_CODES
} KantorErrorCode;

/* A GError domain whose codes are KantorErrorCode, for handlers that know
 * exactly which protocol error they mean. */
#define KANTOR_PROTOCOL_ERROR (kantor_protocol_error_quark ())
GQuark           kantor_protocol_error_quark        (void);

/* "validation_error" etc. */
const char      *kantor_error_code_to_string        (KantorErrorCode  code);
/* The default human sentence for @code. */
const char      *kantor_error_code_get_message      (KantorErrorCode  code);
/* HTTP status used when @code answers a REST request (every code has
 * one, 400 or above; see docs/REST.md). */
guint            kantor_error_code_get_http_status  (KantorErrorCode  code);
gboolean         kantor_error_code_from_string      (const char      *str,
                                                     KantorErrorCode *code);

/* Maps an error from any domain that the table knows (KANTOR_PROTOCOL_ERROR,
 * KANTOR_AUTH_ERROR, KANTOR_JSON_ERROR, json-glib's parser, ...) to a
 * protocol code. Unknown domains are internal faults: handler_error. */
KantorErrorCode  kantor_error_code_from_gerror      (const GError    *error);

/* Lets a service outside this folder map its own error domain:
 * @code_in_domain of @domain answers @code. */
void             kantor_error_codes_register        (GQuark           domain,
                                                     int              code_in_domain,
                                                     KantorErrorCode  code);

G_END_DECLS
