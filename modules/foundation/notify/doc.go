// Package notify sends the platform's email: through a transactional outbox, Asynq and SMTP.
//
// # The way of a mail
//
//  1. A module calls Enqueue(ctx, tx, Message{...}) inside the transaction of the change that
//     causes the mail. The row lands in the tenant's outbox table (status pending) and a
//     NOTIFY is sent; both take effect only if the transaction commits, so a mail exists
//     exactly when its cause does, and nothing is lost when Redis is down.
//  2. The Relay (one per `speks worker`) wakes on the NOTIFY, or on its poll, locks pending
//     rows with FOR UPDATE SKIP LOCKED and enqueues one Asynq task "mail:send" per row on the
//     "critical" queue, with a stable task ID (TaskID), MaxRetry and a retention that keeps the
//     ID reserved for a day. Redis refusing a duplicate ID makes a re-relayed row harmless.
//     While Redis is unreachable the rows stay pending and are relayed when it is back.
//  3. The Sender handles "mail:send" behind jobs.TenantScope: it claims the row in the tenant
//     named by the task's envelope (a lease; a row already sent is not sent again), renders the
//     template in the row's language with the tenant's name and helpdesk, and sends it with
//     go-mail. A temporary failure is retried with exponential backoff (RetryDelay); an SMTP
//     5xx answer or the last retry marks the row failed with its last error, which IT officers
//     read with Failed. Sent and failed rows lose their template values (one-time codes).
//  4. Purge deletes sent and failed rows after the retention period.
//
// In dev mode with an empty smtp.url the transport is the DevSink: mail is kept in the platform
// table dev_mail and shown at GET /dev/mail on the platform host (DevMail module).
//
// Delivery is at least once: a worker that dies between the SMTP server's acceptance and the
// update of the row leaves a lease that runs out, and the redelivered task sends the mail once
// more. Everywhere else a mail is sent once.
//
// Logs name the tenant, the outbox row, the template and the attempt; never the recipient, the
// body or any template value.
//
// # Templates and their data keys
//
// Every template exists in Malay (ms, the default) and English (en), as text and simple HTML,
// with the tenant's name in the subject and its name and helpdesk contact in the footer.
// Enqueue refuses missing, unknown or malformed keys. Links are absolute http(s) URLs the
// caller builds for the tenant's host. Numbers may be Go ints.
//
//	one_time_code     name, code, purpose, expires_minutes; optional link (the login page)
//	                  purpose: first_login | password_reset | account_created
//	verify_email      name, link, expires_hours            (self-registration, PK 0101)
//	password_changed  name, changed_at                     (changed_at already formatted, local time)
//	email_change      name, link, expires_hours            (sent to the NEW address)
//	payslip_ready     name, year, month (1–12), link       (no amounts, ever)
//	statement_ready   name, year, link                     (EC form; no amounts, ever)
//	request_pending   name, kind, person, step; optional link    (a user-administration request
//	                  awaits the recipient: step head | treasury; kind new_user | change_access | deactivate)
//	request_decided   name, kind, person, outcome; optional link, reason   (to the requester:
//	                  outcome head_approved | rejected | completed | failed)
//	account_cancelled name                                 (the IT officer completed the person's cancellation)
//
// name is the person's display name; code is the one-time code in clear (it is dropped from the
// outbox once the mail is sent or failed).
package notify
