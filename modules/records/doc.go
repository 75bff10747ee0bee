// Package records serves a person's own records: ePayslip (monthly payslips), eEC (the annual
// LHDN form EC statement) and eMaklum (payments to suppliers and staff claims), as JSON
// (docs/API.md "Records"), as printable PDFs carrying a QR code, the public /verify page that
// confirms a printed document, and the "my data" ZIP export.
//
// # One package, not four
//
// The layout is one folder per capability. The three record kinds share nearly all of
// their machinery — the identity rule, the access audit, the PDF layout, the verification
// tokens, masking and money — and the verification page and the export must reach all
// three, so they live together here with one file per capability (payslip.go,
// statement.go, payment.go, verify.go, export.go) instead of four packages and a fifth for
// what they share.
//
// # Identity
//
// Every handler takes the person from account.PrincipalFrom and nothing else: there is no
// record ID in a URL or body that names whose record it is. A year/month or payment ref that
// belongs to someone else is simply not found.
//
// A payment's detail (bank, invoices, status history) opens only once its payee proves it
// is theirs: the bank account number an EFT went to, or the number printed on a cheque
// (payment_method, from the shape of cheque_eft_no). Wrong numbers are throttled per account
// over all its payments, and every try is in the audit trail with its actor.
//
// # Data
//
// The tables are those modules/feed writes (migrations/tenant/00003_feeds.sql); this
// package only reads them, and writes its own: audit_log, document_tokens, payment_unlocks
// and throttle_events (migrations/tenant/00020_records.sql).
package records
