/* kantor-csv.h: a fast, strict reader for the numeric CSV files of market data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kantor-market-source.h"

G_BEGIN_DECLS

/* Lines longer than this are refused unless the reader is told otherwise:
 * a market-data row is a few hundred bytes at most, and a bound keeps a
 * corrupt file (or one that is a single 1 GB line) from eating memory. */
#define KANTOR_CSV_DEFAULT_MAX_LINE_LENGTH (64 * 1024)
#define KANTOR_CSV_MAX_FIELDS              64

/* Reads a stream in large blocks and splits each line at commas in place:
 * fields point into the reader's buffer (NUL-terminated) and stay valid
 * until the next call to kantor_csv_reader_next_row(); nothing is allocated
 * per line or per field. No quoting: the files it serves hold numbers and
 * plain words only, and a stray quote is a bad row. CRLF line ends are
 * accepted; a last line without a line end is read like any other. */
typedef struct _KantorCsvReader KantorCsvReader;

/* @name is used in error messages ("NAME:LINE: ..."), usually the path. */
KantorCsvReader *kantor_csv_reader_new                 (GInputStream     *stream,
                                                        const char       *name);
KantorCsvReader *kantor_csv_reader_new_for_path        (const char       *path,
                                                        GError          **error);
void             kantor_csv_reader_free                (KantorCsvReader  *self);
void             kantor_csv_reader_set_max_line_length (KantorCsvReader  *self,
                                                        gsize             max_length);
gsize            kantor_csv_reader_get_max_line_length (KantorCsvReader  *self);
const char      *kantor_csv_reader_get_name            (KantorCsvReader  *self);
/* The 1-based number of the line last returned (0 before the first). */
guint64          kantor_csv_reader_get_line_number     (KantorCsvReader  *self);
/* Bytes consumed so far. */
guint64          kantor_csv_reader_get_offset          (KantorCsvReader  *self);

/* TRUE with the next row split into fields; FALSE at the end of the data
 * (@error unset) or on an error: a line over the maximum length (reported as
 * soon as the reader is past the limit, without reading the rest), an empty
 * line, a NUL byte, a quote, more than KANTOR_CSV_MAX_FIELDS fields, or a
 * read failure. */
gboolean         kantor_csv_reader_next_row            (KantorCsvReader  *self,
                                                        GError          **error);
/* The first half of kantor_csv_reader_next_row(): the next line, unsplit
 * (NUL-terminated in place, without its line end), with the same errors
 * except those about fields. A caller that parses the line in one pass with
 * the kantor_csv_scan_*() functions splits it only to report an error. */
gboolean         kantor_csv_reader_next_line           (KantorCsvReader  *self,
                                                        const char      **line,
                                                        gsize            *length,
                                                        GError          **error);
/* Splits the line last returned by kantor_csv_reader_next_line() into
 * fields (once; later calls do nothing). */
gboolean         kantor_csv_reader_split               (KantorCsvReader  *self,
                                                        GError          **error);
guint            kantor_csv_reader_get_n_fields        (KantorCsvReader  *self);
const char      *kantor_csv_reader_get_field           (KantorCsvReader  *self,
                                                        guint             index,
                                                        gsize            *length);
/* The current row's fields and their lengths at once, for callers that
 * parse many fields per row (the hot path of a replay). */
const char * const *kantor_csv_reader_get_fields       (KantorCsvReader  *self,
                                                        const gsize     **lengths);
/* TRUE when the current row is exactly @names (a NULL-terminated array). */
gboolean         kantor_csv_reader_row_equals          (KantorCsvReader  *self,
                                                        const char * const *names);

/* Sets @error to "NAME:LINE: message" in KANTOR_SOURCE_ERROR. */
void             kantor_csv_reader_set_error           (KantorCsvReader  *self,
                                                        GError          **error,
                                                        KantorSourceError code,
                                                        const char       *format,
                                                        ...) G_GNUC_PRINTF (4, 5);
/* Field accessors that report a bad field with file, line and @what. */
gboolean         kantor_csv_reader_get_double          (KantorCsvReader  *self,
                                                        guint             index,
                                                        const char       *what,
                                                        double           *value,
                                                        GError          **error);
gboolean         kantor_csv_reader_get_int64           (KantorCsvReader  *self,
                                                        guint             index,
                                                        const char       *what,
                                                        gint64           *value,
                                                        GError          **error);

/* Strict parsers over (@str, @length), no NUL needed. Decimals: an optional
 * '-', digits, optionally '.' and digits, optionally an exponent; nothing
 * else (no spaces, '+', "nan", "inf", hex, ".5" or "5."). The result equals
 * what strtod() returns for the same text: a fast exact path (Clinger's:
 * at most 19 significant digits with a mantissa under 2^53 and a power of
 * ten under 10^23, one correctly rounded operation) and strtod() otherwise. */
gboolean         kantor_csv_parse_double               (const char       *str,
                                                        gsize             length,
                                                        double           *value);
gboolean         kantor_csv_parse_int64                (const char       *str,
                                                        gsize             length,
                                                        gint64           *value);
/* Epoch seconds with at most millisecond precision ("1700000000.123",
 * "1700000000"; further fractional digits must be zeros) to milliseconds,
 * without going through a double. */
gboolean         kantor_csv_parse_seconds_ms           (const char       *str,
                                                        gsize             length,
                                                        gint64           *time_ms);

/* One-pass variants: parse the field that starts at *@cursor and ends at
 * the next ',' or at @end, and leave *@cursor on that ',' (or @end). The
 * grammar and the results are those of the functions above. */
gboolean         kantor_csv_scan_double                (const char      **cursor,
                                                        const char       *end,
                                                        double           *value);
gboolean         kantor_csv_scan_seconds_ms            (const char      **cursor,
                                                        const char       *end,
                                                        gint64           *time_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorCsvReader, kantor_csv_reader_free)

G_END_DECLS
