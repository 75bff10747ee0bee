// Package feed imports what a state's payroll module (Modul PY) and accounting system send:
// the payroll master (employees), the supplier master, payslips, EC statements and payments,
// as CSV files (docs/API.md "Feeds"). The portal shows only what arrives here (Pahang's FAQ:
// "Data tidak wujud" when a pull failed), so a feed is all or nothing and says exactly why
// it was refused.
//
// # One code path
//
// Import is the only way in: the HTTP handler (POST /api/v1/feeds/{kind}, Bearer API key of
// the host's tenant), `speks import` and the demo data generator all call it.
//
// # How a file goes in: one pass, validated while it is copied, rolled back on any error
//
// First the body is read once through to its end, counted against feeds.max_body_bytes and
// hashed (SHA-256): a seekable body (a file, `speks import`) in place, then rewound; a stream
// (an HTTP request) copied on its way into an unlinked temporary file. No connection is held
// meanwhile, so a slow upload keeps neither a connection of the budget nor the feed lock.
// Then everything happens in one transaction on the tenant's handle:
//
//  1. A transaction-scoped advisory lock keyed on the tenant's schema: two feeds of one
//     tenant take turns, feeds of different tenants run in parallel, and the lock goes with
//     the transaction however it ends (a dead connection included).
//  2. An Idempotency-Key seen before returns the first answer at once.
//  3. The content hash of a file imported before returns the first answer: nothing parsed,
//     nothing staged, nothing written.
//  4. The body is parsed as CSV (header required, any column order, BOM, CRLF, RFC 4180
//     quoting) and each row checked on its own (IDs, dates, amounts, statuses, lengths,
//     UTF-8). Valid rows go by COPY into a temporary staging table; invalid ones are reported
//     and left out, and reading goes on so that one answer lists every error (up to 1000).
//  5. Set-based checks run in SQL on the staging table: duplicates, rows of one payslip /
//     statement / payment that disagree (one pay date per payslip), references to employees
//     and suppliers that do not exist, company numbers that point at two suppliers.
//  6. Any error: rollback, 422 with every error; nothing was written. Otherwise set-based
//     upserts from staging into the tenant's tables, the batch record, commit.
//
// Payslips, the big feed (≈15 lines per person and month), first take a direct path
// (payslips_direct.go) built for payday's file, a month sent for the first time: one reading
// copies the lines straight into payslip_lines and sums each payslip up in Go; the payslips
// are checked and inserted after their lines. Anything else — a file with errors, a
// correction, a month sent again — rolls the direct path back to a savepoint and takes the
// steps above, so a refused file gets the same full list of errors.
//
// Why this shape: memory stays flat whatever the file's size (the hash reads through a
// 256 KiB buffer, a spooled stream sits in the page cache rather than in the process, the
// parser holds one record, the COPY buffer 64 KiB); the database does the work it is good at
// (aggregating millions of lines) in a temporary table that is not WAL-logged; and the
// rollback makes "nothing written" true even when the process or the connection dies half-way
// (a killed backend aborts the transaction; a retry starts from scratch). The cost of reading
// the body before parsing it (once more from disk or memory, or one copy to a temporary
// file) buys a re-sent file's answer for the price of that read; a refused file still goes
// through COPY before it is refused.
//
// # What the upserts do
//
//   - employees: departments and PTJs upserted from the file, employees upserted by IC
//     number; people absent from a file are kept (a feed may carry only the changes).
//   - suppliers: matched by either form of the company number (package ids), the other form
//     added when a row brings it; a row whose two numbers match two suppliers is refused.
//   - payslips, statements: the lines of (ic_no, year, month) — items of (ic_no, year) —
//     replace the earlier set. An order-independent digest of the set makes an identical
//     payslip "unchanged", untouched.
//   - payments: upserted by ref, invoice lines replaced, each change of status appended to
//     payment_status_history with the day it happened (status_date, else the payment date);
//     the same status on another day corrects the latest entry's date.
//
// A feed that adds a payslip month or an EC year can mail the people concerned who have an
// account (Options.Publish, publish.go): one mail per person through the notify outbox, in
// the same transaction, with a link and no amount; the tenant turns it off in feed_settings.
//
// rows counts the file's records; inserted/updated/unchanged count what they make: people,
// suppliers, payslips, statements, payments.
//
// # Limits
//
// A body past feeds.max_body_bytes is refused with 413 (early when Content-Length says so,
// otherwise when the limit is crossed). A record larger than 1 MiB ends the reading with
// record_too_large, so a runaway quoted field cannot grow memory. Formula-looking text
// (=SUM(…), +60…, @…) is stored as the text it is.
package feed
