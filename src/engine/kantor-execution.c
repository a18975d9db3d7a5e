/* kantor-execution.c: names of the execution enums, as the protocol writes them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-execution.h"

const char *
kantor_signal_type_to_string (KantorSignalType type)
{
  switch (type)
    {
    case KANTOR_SIGNAL_S1_SIGNAL:      return "s1_signal";
    case KANTOR_SIGNAL_O1_CANCEL:      return "o1_cancel";
    case KANTOR_SIGNAL_Z1_ENTRY:       return "z1_entry";
    case KANTOR_SIGNAL_ZE1_CLOSE:      return "ze1_close";
    case KANTOR_SIGNAL_STOP_LOSS:      return "stop_loss";
    case KANTOR_SIGNAL_TAKE_PROFIT:    return "take_profit";
    case KANTOR_SIGNAL_EMERGENCY_EXIT: return "emergency_exit";
    case KANTOR_SIGNAL_SESSION_END:    return "session_end";
    default:                           return NULL;
    }
}

const char *
kantor_side_to_string (KantorSide side)
{
  switch (side)
    {
    case KANTOR_SIDE_BUY:  return "buy";
    case KANTOR_SIDE_SELL: return "sell";
    default:               return NULL;
    }
}

const char *
kantor_direction_to_string (KantorDirection direction)
{
  switch (direction)
    {
    case KANTOR_DIRECTION_LONG:  return "LONG";
    case KANTOR_DIRECTION_SHORT: return "SHORT";
    default:                     return NULL;
    }
}

JsonNode *
kantor_signal_to_json (const KantorSignal *signal)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  g_return_val_if_fail (signal != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, kantor_signal_type_to_string (signal->type));
  json_builder_set_member_name (builder, "strategy");
  json_builder_add_string_value (builder, signal->strategy);
  json_builder_set_member_name (builder, "symbol");
  json_builder_add_string_value (builder, signal->symbol);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, signal->time_ms);
  json_builder_set_member_name (builder, "price");
  json_builder_add_double_value (builder, signal->price);
  if (signal->side != 0)
    {
      json_builder_set_member_name (builder, "side");
      json_builder_add_string_value (builder, kantor_side_to_string (signal->side));
    }
  json_builder_set_member_name (builder, "indicators_snapshot");
  json_builder_begin_object (builder);
  for (guint i = 0; i < signal->n_snapshot; i++)
    {
      json_builder_set_member_name (builder, signal->snapshot[i].name);
      if (signal->snapshot[i].has_value)
        json_builder_add_double_value (builder, signal->snapshot[i].value);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
