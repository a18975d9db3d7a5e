/* kantor-collection-source.h: replay of a recorded collection folder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-market-source.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_COLLECTION_SOURCE (kantor_collection_source_get_type ())
G_DECLARE_FINAL_TYPE (KantorCollectionSource, kantor_collection_source,
                      KANTOR, COLLECTION_SOURCE, GObject)

/* Replays a collection (PROTOCOL.md §9): @path holds one folder per symbol,
 * each with prices.csv (trades) and optionally orderbook.csv (3-level book),
 * exact headers, timestamps in epoch seconds with millisecond precision.
 * @path may also be a single symbol folder (one holding prices.csv), the
 * symbol then being the folder's name.
 *
 * @symbols (NULL for all) restricts the replay; a named symbol without a
 * folder is an error. All files are opened and their headers checked here.
 *
 * Events come merged by timestamp across all files. At equal timestamps
 * trades come before book updates, and within each kind symbols go in name
 * order; a file's own rows keep their order. A row whose timestamp is
 * earlier than the row before it in the same file is an error
 * (KANTOR_SOURCE_ERROR_OUT_OF_ORDER), never reordered: a recorder writes in
 * time order, so such a row means a damaged or hand-edited file. */
KantorMarketSource *kantor_collection_source_new (const char          *path,
                                                  const char * const  *symbols,
                                                  GError             **error);

/* Sets the maximum line length of the files' readers (for tests). */
void                kantor_collection_source_set_max_line_length
                                                 (KantorCollectionSource *self,
                                                  gsize                   max_length);

G_END_DECLS
