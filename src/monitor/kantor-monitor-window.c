/* kantor-monitor-window.c: the monitor's main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kantor-monitor-client.h"
#include "kantor-monitor-event-log.h"
#include "kantor-monitor-health.h"
#include "kantor-monitor-sessions.h"
#include "kantor-monitor-tickers.h"
#include "kantor-monitor-window.h"

struct _KantorMonitorWindow
{
  AdwApplicationWindow   parent_instance;

  /* Template children. */
  AdwToastOverlay       *toasts;
  AdwWindowTitle        *window_title;
  GtkStack              *stack;
  AdwEntryRow           *url_row;
  AdwEntryRow           *username_row;
  AdwEntryRow           *password_row;
  GtkLabel              *login_error;
  GtkSpinner            *login_spinner;
  GtkButton             *connect_button;
  GtkStack              *sessions_stack;
  GtkColumnView         *sessions_view;
  GtkColumnView         *tickers_view;
  GtkListView           *log_view;
  GtkImage              *connection_icon;
  GtkLabel              *connection_label;
  GtkLabel              *health_label;

  guint                  log_scroll_source;

  /* NULL when the schema is not installed (a run from the build tree). */
  GSettings             *settings;

  /* While connected (and logging in). */
  KantorMonitorClient   *client;
  GCancellable          *login_cancellable;
  KantorMonitorSessions *sessions;
  KantorMonitorTickers  *tickers;
  KantorMonitorEventLog *log;
  KantorMonitorHealth   *health;

  /* The alert toast on screen, so that a burst of one kind (a strategy
   * refused a hundred times) counts up instead of queueing a hundred. */
  AdwToast              *toast;
  char                  *toast_kind;
  guint                  toast_count;
};

G_DEFINE_FINAL_TYPE (KantorMonitorWindow, kantor_monitor_window, ADW_TYPE_APPLICATION_WINDOW)

/* Cells ---------------------------------------------------------------------- */

/* A column's text for one item; "class" (may be NULL) is set on the label
 * to colour it. */
typedef char *(*CellTextFunc) (GObject     *item,
                               const char **css_class);

typedef struct
{
  const char   *id;
  CellTextFunc  text;
  float         xalign;
  gboolean      progress;  /* a progress bar instead of a label */
  CellTextFunc  tooltip;   /* may be NULL */
} Column;

static const char * const cell_classes[] = {
  "price-up", "price-down", "severity-critical", "severity-warning", "dim-label", NULL
};

static void
cell_refresh (GObject    *item,
              GParamSpec *pspec,
              GtkWidget  *widget)
{
  const Column *column = g_object_get_data (G_OBJECT (widget), "column");
  const char *css_class = NULL;
  g_autofree char *text = NULL;

  if (column->progress)
    {
      double fraction = kantor_monitor_session_get_progress (KANTOR_MONITOR_SESSION (item));

      /* A paper or live session has no end to measure against. */
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (widget), MAX (fraction, 0));
      gtk_widget_set_visible (widget, fraction >= 0);
      return;
    }

  text = column->text (item, &css_class);
  gtk_label_set_text (GTK_LABEL (widget), text != NULL ? text : "");
  if (column->tooltip != NULL)
    {
      const char *unused = NULL;
      g_autofree char *tooltip = column->tooltip (item, &unused);

      gtk_widget_set_tooltip_text (widget, tooltip);
    }
  for (guint i = 0; cell_classes[i] != NULL; i++)
    gtk_widget_remove_css_class (widget, cell_classes[i]);
  if (css_class != NULL)
    gtk_widget_add_css_class (widget, css_class);
}

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            const Column             *column)
{
  GtkWidget *widget;

  if (column->progress)
    {
      widget = gtk_progress_bar_new ();
      gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (widget, 80, -1);
    }
  else
    {
      widget = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (widget), column->xalign);
      gtk_label_set_ellipsize (GTK_LABEL (widget), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (widget, "numeric");
    }
  g_object_set_data (G_OBJECT (widget), "column", (gpointer) column);
  gtk_list_item_set_child (list_item, widget);
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           const Column             *column)
{
  GtkWidget *widget = gtk_list_item_get_child (list_item);
  GObject *item = gtk_list_item_get_item (list_item);
  gulong id;

  /* Rows follow their item: a price or a state changes in place. */
  id = g_signal_connect (item, "notify", G_CALLBACK (cell_refresh), widget);
  g_object_set_data (G_OBJECT (widget), "notify-id", GSIZE_TO_POINTER (id));
  cell_refresh (item, NULL, widget);
}

static void
cell_unbind (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             const Column             *column)
{
  GtkWidget *widget = gtk_list_item_get_child (list_item);
  GObject *item = gtk_list_item_get_item (list_item);
  gulong id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (widget), "notify-id"));

  if (id != 0 && item != NULL)
    g_signal_handler_disconnect (item, id);
  g_object_set_data (G_OBJECT (widget), "notify-id", NULL);
}

static void
add_column (GtkColumnView *view,
            const char    *title,
            const Column  *column,
            gboolean       expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *view_column;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), (gpointer) column);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), (gpointer) column);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind), (gpointer) column);
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (view, view_column);
  g_object_unref (view_column);
}

/* Prices keep the digits that matter at their size. */
static char *
format_price (double value)
{
  double size = ABS (value);
  int decimals = size >= 1000 ? 2 : size >= 1 ? 4 : 6;

  return g_strdup_printf ("%.*f", decimals, value);
}

static char *
format_money (double value)
{
  return g_strdup_printf ("%+.2f", value);
}

static const char *
sign_class (double value)
{
  return value > 0 ? "price-up" : value < 0 ? "price-down" : NULL;
}

/* Sessions. */

static char *
session_id_text (GObject     *item,
                 const char **css_class)
{
  const char *id = kantor_monitor_session_get_id (KANTOR_MONITOR_SESSION (item));

  /* Enough of a UUID to tell sessions apart; the tooltip has it whole. */
  *css_class = "dim-label";
  return g_strndup (id, 8);
}

static char *
session_type_text (GObject     *item,
                   const char **css_class)
{
  const char *type = kantor_monitor_session_get_session_type (KANTOR_MONITOR_SESSION (item));

  if (g_strcmp0 (type, "backtest") == 0)
    return g_strdup (C_("session type", "Backtest"));
  if (g_strcmp0 (type, "paper") == 0)
    return g_strdup (C_("session type", "Paper"));
  if (g_strcmp0 (type, "live") == 0)
    return g_strdup (C_("session type", "Live"));
  return g_strdup (type);
}

static char *
session_state_text (GObject     *item,
                    const char **css_class)
{
  const char *state = kantor_monitor_session_get_state (KANTOR_MONITOR_SESSION (item));
  static const struct
  {
    const char *state;
    const char *label;
  } labels[] = {
    { "starting", NC_("session state", "Starting") },
    { "running", NC_("session state", "Running") },
    { "paused", NC_("session state", "Paused") },
    { "completed", NC_("session state", "Completed") },
    { "stopped", NC_("session state", "Stopped") },
    { "failed", NC_("session state", "Failed") },
    { "interrupted", NC_("session state", "Interrupted") },
  };

  if (g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "interrupted") == 0)
    *css_class = "severity-critical";
  else if (g_strcmp0 (state, "running") == 0)
    *css_class = "price-up";
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (state, labels[i].state) == 0)
      return g_strdup (g_dpgettext2 (GETTEXT_PACKAGE, "session state", labels[i].label));
  return g_strdup (state);
}

static char *
session_symbols_text (GObject     *item,
                      const char **css_class)
{
  return g_strjoinv (", ", (char **) kantor_monitor_session_get_symbols (
                       KANTOR_MONITOR_SESSION (item)));
}

static char *
session_strategies_text (GObject     *item,
                         const char **css_class)
{
  return g_strjoinv (", ", (char **) kantor_monitor_session_get_strategies (
                       KANTOR_MONITOR_SESSION (item)));
}

static char *
session_trades_text (GObject     *item,
                     const char **css_class)
{
  KantorMonitorSession *s = KANTOR_MONITOR_SESSION (item);

  if (!kantor_monitor_session_get_has_results (s))
    return NULL;
  return g_strdup_printf ("%u", kantor_monitor_session_get_total_trades (s));
}

static char *
session_pnl_text (GObject     *item,
                  const char **css_class)
{
  KantorMonitorSession *s = KANTOR_MONITOR_SESSION (item);
  double pnl = kantor_monitor_session_get_net_pnl (s);

  if (!kantor_monitor_session_get_has_results (s))
    return NULL;
  *css_class = sign_class (pnl);
  return format_money (pnl);
}

static char *
session_id_tooltip (GObject     *item,
                    const char **css_class)
{
  return g_strdup (kantor_monitor_session_get_id (KANTOR_MONITOR_SESSION (item)));
}

/* Why a session failed, as the server said. */
static char *
session_state_tooltip (GObject     *item,
                       const char **css_class)
{
  return g_strdup (kantor_monitor_session_get_error (KANTOR_MONITOR_SESSION (item)));
}

static const Column session_columns[] = {
  { "id", session_id_text, 0, FALSE, session_id_tooltip },
  { "type", session_type_text, 0, FALSE },
  { "state", session_state_text, 0, FALSE, session_state_tooltip },
  { "symbols", session_symbols_text, 0, FALSE },
  { "strategies", session_strategies_text, 0, FALSE },
  { "progress", NULL, 0, TRUE },
  { "trades", session_trades_text, 1, FALSE },
  { "pnl", session_pnl_text, 1, FALSE },
};

/* Tickers. */

static char *
ticker_symbol_text (GObject     *item,
                    const char **css_class)
{
  return g_strdup (kantor_monitor_ticker_get_symbol (KANTOR_MONITOR_TICKER (item)));
}

static char *
ticker_price_text (GObject     *item,
                   const char **css_class)
{
  KantorMonitorTicker *t = KANTOR_MONITOR_TICKER (item);

  *css_class = sign_class (kantor_monitor_ticker_get_direction (t));
  return format_price (kantor_monitor_ticker_get_price (t));
}

static char *
ticker_bid_text (GObject     *item,
                 const char **css_class)
{
  KantorMonitorTicker *t = KANTOR_MONITOR_TICKER (item);

  /* No book seen yet: nothing rather than a made-up zero. */
  if (!kantor_monitor_ticker_get_has_book (t))
    return g_strdup ("—");
  return format_price (kantor_monitor_ticker_get_bid (t));
}

static char *
ticker_ask_text (GObject     *item,
                 const char **css_class)
{
  KantorMonitorTicker *t = KANTOR_MONITOR_TICKER (item);

  if (!kantor_monitor_ticker_get_has_book (t))
    return g_strdup ("—");
  return format_price (kantor_monitor_ticker_get_ask (t));
}

static char *
ticker_change_text (GObject     *item,
                    const char **css_class)
{
  KantorMonitorTicker *t = KANTOR_MONITOR_TICKER (item);
  double percent = kantor_monitor_ticker_get_change_percent (t);

  /* What rounds to zero shows as zero, neither red nor "-0.00". */
  if (ABS (percent) < 0.005)
    percent = 0;
  *css_class = sign_class (percent);
  return g_strdup_printf ("%+.2f%%", percent);
}

static const Column ticker_columns[] = {
  { "symbol", ticker_symbol_text, 0, FALSE },
  { "price", ticker_price_text, 1, FALSE },
  { "bid", ticker_bid_text, 1, FALSE },
  { "ask", ticker_ask_text, 1, FALSE },
  { "change", ticker_change_text, 1, FALSE },
};

/* The log. */

static void
log_setup (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *time = gtk_label_new (NULL);
  GtkWidget *message = gtk_label_new (NULL);

  gtk_widget_add_css_class (time, "dim-label");
  gtk_widget_add_css_class (time, "numeric");
  gtk_label_set_xalign (GTK_LABEL (message), 0);
  gtk_label_set_wrap (GTK_LABEL (message), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (message), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_hexpand (message, TRUE);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), time);
  gtk_box_append (GTK_BOX (box), message);
  gtk_list_item_set_child (list_item, box);
  gtk_list_item_set_activatable (list_item, FALSE);
}

static void
log_bind (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  KantorMonitorLogEntry *entry = gtk_list_item_get_item (list_item);
  GtkWidget *icon = gtk_widget_get_first_child (gtk_list_item_get_child (list_item));
  GtkWidget *time = gtk_widget_get_next_sibling (icon);
  GtkWidget *message = gtk_widget_get_next_sibling (time);
  const char *severity = kantor_monitor_log_entry_get_severity (entry);
  const char *symbol = kantor_monitor_log_entry_get_symbol (entry);
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;

  dt = g_date_time_new_from_unix_utc (kantor_monitor_log_entry_get_time (entry) / 1000);
  local = dt != NULL ? g_date_time_to_local (dt) : NULL;
  when = local != NULL ? g_date_time_format (local, "%H:%M:%S") : g_strdup ("");
  gtk_label_set_text (GTK_LABEL (time), when);

  switch (kantor_monitor_log_entry_get_kind (entry))
    {
    case KANTOR_MONITOR_LOG_SIGNAL:
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "media-playlist-shuffle-symbolic");
      break;
    case KANTOR_MONITOR_LOG_CONNECTION:
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "network-transmit-receive-symbolic");
      break;
    case KANTOR_MONITOR_LOG_ALERT:
    default:
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), g_strcmp0 (severity, "info") == 0
                                                      ? "dialog-information-symbolic"
                                                      : "dialog-warning-symbolic");
      break;
    }
  gtk_widget_remove_css_class (icon, "severity-critical");
  gtk_widget_remove_css_class (icon, "severity-warning");
  if (g_strcmp0 (severity, "critical") == 0)
    gtk_widget_add_css_class (icon, "severity-critical");
  else if (g_strcmp0 (severity, "warning") == 0)
    gtk_widget_add_css_class (icon, "severity-warning");

  if (kantor_monitor_log_entry_get_kind (entry) == KANTOR_MONITOR_LOG_ALERT && symbol != NULL)
    text = g_strdup_printf ("%s · %s", symbol, kantor_monitor_log_entry_get_message (entry));
  else
    text = g_strdup (kantor_monitor_log_entry_get_message (entry));
  gtk_label_set_text (GTK_LABEL (message), text);
  gtk_widget_set_tooltip_text (message, kantor_monitor_log_entry_get_session_id (entry));
}

/* Status ---------------------------------------------------------------------- */

static void
update_title (KantorMonitorWindow *self)
{
  g_autofree char *subtitle = NULL;
  const char *user = self->client != NULL ? kantor_monitor_client_get_user (self->client) : NULL;

  if (self->client != NULL && user != NULL)
    /* TRANSLATORS: user name @ server address */
    subtitle = g_strdup_printf (_("%s @ %s"), user, kantor_monitor_client_get_url (self->client));
  adw_window_title_set_subtitle (self->window_title, subtitle != NULL ? subtitle : "");
}

static void
update_connection (KantorMonitorWindow *self)
{
  KantorMonitorClientState state = self->client != NULL
                                   ? kantor_monitor_client_get_state (self->client)
                                   : KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED;
  g_autofree char *text = NULL;
  const char *icon = "network-offline-symbolic";

  switch (state)
    {
    case KANTOR_MONITOR_CLIENT_STATE_CONNECTING:
      text = g_strdup (self->sessions != NULL ? _("Connection lost, reconnecting…")
                                              : _("Connecting…"));
      icon = "network-no-route-symbolic";
      break;
    case KANTOR_MONITOR_CLIENT_STATE_CONNECTED:
      text = g_strdup (_("Connected, not logged in"));
      icon = "network-idle-symbolic";
      break;
    case KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED:
      /* TRANSLATORS: %s: the server's version */
      text = g_strdup_printf (_("Connected to kantord %s"),
                              kantor_monitor_client_get_server_version (self->client));
      icon = "network-transmit-receive-symbolic";
      break;
    case KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED:
    default:
      text = g_strdup (_("Disconnected"));
      break;
    }
  gtk_label_set_text (self->connection_label, text);
  gtk_image_set_from_icon_name (self->connection_icon, icon);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refresh",
                                 state == KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
}

static void
update_health (KantorMonitorWindow *self)
{
  g_autofree char *text = NULL;
  const char *state;
  const char *feed;

  if (self->health == NULL || !kantor_monitor_health_get_has_report (self->health))
    {
      gtk_label_set_text (self->health_label, "");
      return;
    }
  state = kantor_monitor_health_get_feed_state (self->health);
  feed = kantor_monitor_health_get_feed_name (self->health);
  if (state == NULL)
    text = g_strdup (_("No market feed"));
  else
    /* TRANSLATORS: feed name, its state (running, down), events a second */
    text = g_strdup_printf (_("Feed %s: %s · %.1f events/s"), feed != NULL ? feed : "",
                            state, kantor_monitor_health_get_events_per_second (self->health));
  gtk_label_set_text (self->health_label, text);
  if (g_strcmp0 (state, "down") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->health_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->health_label), "error");
}

static void
update_sessions_page (KantorMonitorWindow *self)
{
  guint n = self->sessions != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->sessions)) : 0;

  gtk_stack_set_visible_child_name (self->sessions_stack, n > 0 ? "list" : "empty");
}

/* Connecting ------------------------------------------------------------------ */

static void
show_login_error (KantorMonitorWindow *self,
                  const char          *message)
{
  gtk_label_set_text (self->login_error, message);
  gtk_widget_set_visible (GTK_WIDGET (self->login_error), message != NULL);
}

static void
set_busy (KantorMonitorWindow *self,
          gboolean             busy)
{
  gtk_spinner_set_spinning (self->login_spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->url_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
}

/* Drops the connection and everything shown from it. */
static void
release_connection (KantorMonitorWindow *self)
{
  if (self->login_cancellable != NULL)
    g_cancellable_cancel (self->login_cancellable);
  g_clear_object (&self->login_cancellable);
  g_clear_handle_id (&self->log_scroll_source, g_source_remove);

  gtk_column_view_set_model (self->sessions_view, NULL);
  gtk_column_view_set_model (self->tickers_view, NULL);
  gtk_list_view_set_model (self->log_view, NULL);
  if (self->sessions != NULL)
    g_signal_handlers_disconnect_by_data (self->sessions, self);
  if (self->health != NULL)
    g_signal_handlers_disconnect_by_data (self->health, self);
  g_clear_object (&self->sessions);
  g_clear_object (&self->tickers);
  g_clear_object (&self->log);
  g_clear_object (&self->health);

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      kantor_monitor_client_disconnect (self->client);
      g_clear_object (&self->client);
    }
  update_connection (self);
  update_title (self);
  update_health (self);
  update_sessions_page (self);
}

static void
on_toast_dismissed (AdwToast            *toast,
                    KantorMonitorWindow *self)
{
  if (self->toast == toast)
    {
      self->toast = NULL;
      g_clear_pointer (&self->toast_kind, g_free);
      self->toast_count = 0;
    }
}

static void
on_alert (KantorMonitorClient *client,
          JsonObject          *msg,
          KantorMonitorWindow *self)
{
  g_autoptr(KantorMonitorLogEntry) entry = kantor_monitor_log_entry_new_from_alert (msg);
  const char *kind;
  AdwToast *toast;

  if (entry == NULL)
    return;
  kind = kantor_monitor_log_entry_get_name (entry);
  if (self->toast != NULL && g_strcmp0 (self->toast_kind, kind) == 0)
    {
      g_autofree char *title = NULL;

      /* TRANSLATORS: an alert's message and how many came in a row */
      title = g_strdup_printf (_("%s (×%u)"), kantor_monitor_log_entry_get_message (entry),
                               ++self->toast_count);
      adw_toast_set_title (self->toast, title);
      return;
    }

  toast = adw_toast_new (kantor_monitor_log_entry_get_message (entry));
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), self, 0);
  self->toast = toast;
  g_free (self->toast_kind);
  self->toast_kind = g_strdup (kind);
  self->toast_count = 1;
  if (g_strcmp0 (kantor_monitor_log_entry_get_severity (entry), "critical") == 0)
    {
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_set_timeout (toast, 0);
    }
  adw_toast_overlay_add_toast (self->toasts, toast);
}

static void
on_client_state (KantorMonitorClient *client,
                 GParamSpec          *pspec,
                 KantorMonitorWindow *self)
{
  update_connection (self);
  update_title (self);

  /* Connected but no longer authenticated: the tokens were refused (a
   * server restarted with a new secret, a revoked login). */
  if (self->sessions != NULL &&
      kantor_monitor_client_get_state (client) == KANTOR_MONITOR_CLIENT_STATE_CONNECTED &&
      kantor_monitor_client_get_user (client) == NULL)
    {
      release_connection (self);
      gtk_stack_set_visible_child_name (self->stack, "login");
      show_login_error (self, _("The server no longer accepts this login: log in again."));
    }
}

static gboolean
log_to_top (gpointer user_data)
{
  KantorMonitorWindow *self = user_data;
  GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->log_view));

  self->log_scroll_source = 0;
  gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_lower (vadjustment));
  return G_SOURCE_REMOVE;
}

/* The list keeps the row it shows in place when rows come in above it; a
 * reader at the top wants to see the new ones instead. */
static void
on_log_changed (KantorMonitorWindow *self)
{
  GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->log_view));

  if (vadjustment != NULL && self->log_scroll_source == 0 &&
      gtk_adjustment_get_value (vadjustment) <= gtk_adjustment_get_lower (vadjustment) + 1)
    self->log_scroll_source = g_idle_add_full (G_PRIORITY_LOW, log_to_top, self, NULL);
}

static void
attach_models (KantorMonitorWindow *self)
{
  g_autoptr(GtkNoSelection) sessions = NULL;
  g_autoptr(GtkNoSelection) tickers = NULL;
  g_autoptr(GtkNoSelection) log = NULL;

  self->sessions = kantor_monitor_sessions_new (self->client);
  self->tickers = kantor_monitor_tickers_new (self->client, NULL);
  self->log = kantor_monitor_event_log_new (self->client, KANTOR_MONITOR_EVENT_LOG_DEFAULT_MAX);
  self->health = kantor_monitor_health_new (self->client);

  sessions = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->sessions)));
  tickers = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->tickers)));
  log = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->log)));
  gtk_column_view_set_model (self->sessions_view, GTK_SELECTION_MODEL (sessions));
  gtk_column_view_set_model (self->tickers_view, GTK_SELECTION_MODEL (tickers));
  gtk_list_view_set_model (self->log_view, GTK_SELECTION_MODEL (log));

  g_signal_connect_swapped (self->sessions, "items-changed", G_CALLBACK (update_sessions_page),
                            self);
  g_signal_connect_swapped (self->log, "items-changed", G_CALLBACK (on_log_changed), self);
  g_signal_connect_swapped (self->health, "notify", G_CALLBACK (update_health), self);
  g_signal_connect (self->client, "alert", G_CALLBACK (on_alert), self);
  update_sessions_page (self);
  update_health (self);
}

static char *
describe_login_error (KantorMonitorClient *client,
                      const GError        *error)
{
  const char *code = kantor_monitor_client_error_get_code (error);

  if (g_strcmp0 (code, "invalid_credentials") == 0)
    return g_strdup (_("Wrong user name or password."));
  if (g_strcmp0 (code, "rate_limit_exceeded") == 0)
    return g_strdup (_("Too many failed attempts. Try again in a few minutes."));
  if (code != NULL)
    /* TRANSLATORS: the server's own message */
    return g_strdup_printf (_("The server refused the login: %s"), error->message);
  /* TRANSLATORS: server address, then the reason */
  return g_strdup_printf (_("Could not connect to %s: %s"), kantor_monitor_client_get_url (client),
                          error->message);
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  KantorMonitorWindow *self;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  kantor_monitor_client_login_finish (KANTOR_MONITOR_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KANTOR_MONITOR_WINDOW (user_data);
  set_busy (self, FALSE);
  g_clear_object (&self->login_cancellable);

  if (error != NULL)
    {
      message = describe_login_error (self->client, error);
      release_connection (self);
      show_login_error (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  show_login_error (self, NULL);
  if (self->settings != NULL)
    {
      g_settings_set_string (self->settings, "server-url",
                             kantor_monitor_client_get_url (self->client));
      g_settings_set_string (self->settings, "username",
                             gtk_editable_get_text (GTK_EDITABLE (self->username_row)));
    }
  attach_models (self);
  gtk_stack_set_visible_child_name (self->stack, "main");
  update_title (self);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  KantorMonitorWindow *self;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  kantor_monitor_client_connect_finish (KANTOR_MONITOR_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KANTOR_MONITOR_WINDOW (user_data);

  if (error != NULL)
    {
      message = describe_login_error (self->client, error);
      set_busy (self, FALSE);
      release_connection (self);
      show_login_error (self, message);
      return;
    }
  kantor_monitor_client_login_async (self->client,
                                     gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                                     gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                                     self->login_cancellable, login_cb, self);
}

static void
on_connect_clicked (KantorMonitorWindow *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (*url == '\0')
    url = KANTOR_MONITOR_DEFAULT_URL;
  if (*username == '\0' || *password == '\0')
    {
      show_login_error (self, _("Enter a user name and a password."));
      return;
    }

  release_connection (self);
  show_login_error (self, NULL);
  set_busy (self, TRUE);
  self->client = kantor_monitor_client_new (url);
  self->login_cancellable = g_cancellable_new ();
  g_signal_connect (self->client, "notify::state", G_CALLBACK (on_client_state), self);
  g_signal_connect (self->client, "notify::user", G_CALLBACK (on_client_state), self);
  kantor_monitor_client_connect_async (self->client, self->login_cancellable, connect_cb, self);
}

static void
on_entry_activated (KantorMonitorWindow *self)
{
  on_connect_clicked (self);
}

void
kantor_monitor_window_login (KantorMonitorWindow *self,
                             const char          *url,
                             const char          *username,
                             const char          *password)
{
  g_return_if_fail (KANTOR_IS_MONITOR_WINDOW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url != NULL ? url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username != NULL ? username : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password != NULL ? password : "");
  on_connect_clicked (self);
}

/* Actions --------------------------------------------------------------------- */

static void
refresh_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KantorMonitorWindow *self = KANTOR_MONITOR_WINDOW (widget);

  if (self->sessions != NULL)
    kantor_monitor_sessions_refresh (self->sessions);
}

static void
logout_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KantorMonitorWindow *self = KANTOR_MONITOR_WINDOW (widget);

  release_connection (self);
  show_login_error (self, NULL);
  set_busy (self, FALSE);
  gtk_stack_set_visible_child_name (self->stack, "login");
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

/* GObject --------------------------------------------------------------------- */

KantorMonitorWindow *
kantor_monitor_window_new (KantorApplication *application,
                           const char        *url,
                           const char        *username)
{
  KantorMonitorWindow *self = g_object_new (KANTOR_TYPE_MONITOR_WINDOW,
                                            "application", application,
                                            NULL);
  g_autofree char *saved_url = NULL;
  g_autofree char *saved_user = NULL;

  /* The command line first, then what worked last time. */
  if (self->settings != NULL)
    {
      saved_url = g_settings_get_string (self->settings, "server-url");
      saved_user = g_settings_get_string (self->settings, "username");
      if (url == NULL && *saved_url != '\0')
        url = saved_url;
      if (username == NULL && *saved_user != '\0')
        username = saved_user;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->url_row),
                         url != NULL ? url : KANTOR_MONITOR_DEFAULT_URL);
  if (username != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
    }
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  return self;
}

static void
kantor_monitor_window_dispose (GObject *object)
{
  KantorMonitorWindow *self = KANTOR_MONITOR_WINDOW (object);

  release_connection (self);
  g_clear_object (&self->settings);
  self->toast = NULL;
  g_clear_pointer (&self->toast_kind, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), KANTOR_TYPE_MONITOR_WINDOW);

  G_OBJECT_CLASS (kantor_monitor_window_parent_class)->dispose (object);
}

static void
kantor_monitor_window_class_init (KantorMonitorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kantor_monitor_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/kantor/Kantor/"
                                               "kantor-monitor-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, login_error);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, login_spinner);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, connect_button);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, sessions_stack);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, sessions_view);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, tickers_view);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, connection_icon);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, connection_label);
  gtk_widget_class_bind_template_child (widget_class, KantorMonitorWindow, health_label);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);

  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_activated);
  gtk_widget_class_install_action (widget_class, "win.logout", NULL, logout_activated);
}

static void
kantor_monitor_window_init (KantorMonitorWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  GtkListItemFactory *log_factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, KANTOR_APPLICATION_ID, TRUE);
  if (schema != NULL)
    self->settings = g_settings_new_full (schema, NULL, NULL);

  add_column (self->sessions_view, C_("column", "Session"), &session_columns[0], FALSE);
  add_column (self->sessions_view, C_("column", "Type"), &session_columns[1], FALSE);
  add_column (self->sessions_view, C_("column", "State"), &session_columns[2], FALSE);
  add_column (self->sessions_view, C_("column", "Symbols"), &session_columns[3], TRUE);
  add_column (self->sessions_view, C_("column", "Strategies"), &session_columns[4], TRUE);
  add_column (self->sessions_view, C_("column", "Progress"), &session_columns[5], FALSE);
  add_column (self->sessions_view, C_("column", "Trades"), &session_columns[6], FALSE);
  add_column (self->sessions_view, C_("column", "Net P&L"), &session_columns[7], FALSE);

  add_column (self->tickers_view, C_("column", "Symbol"), &ticker_columns[0], TRUE);
  add_column (self->tickers_view, C_("column", "Price"), &ticker_columns[1], FALSE);
  add_column (self->tickers_view, C_("column", "Bid"), &ticker_columns[2], FALSE);
  add_column (self->tickers_view, C_("column", "Ask"), &ticker_columns[3], FALSE);
  add_column (self->tickers_view, C_("column", "Change"), &ticker_columns[4], FALSE);

  log_factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (log_factory, "setup", G_CALLBACK (log_setup), NULL);
  g_signal_connect (log_factory, "bind", G_CALLBACK (log_bind), NULL);
  gtk_list_view_set_factory (self->log_view, log_factory);
  g_object_unref (log_factory);

  gtk_stack_set_visible_child_name (self->stack, "login");
  update_connection (self);
  update_sessions_page (self);
}
