-- +goose Up
-- eMaklum's status history shows when each status happened (the accounting system's date,
-- the payments feed's status_date column), not when the portal imported the row. Rows from
-- before the column existed take the payment date, which is also what a feed without the
-- column means. payments.status_date is the date of the current status: a later feed that
-- corrects only the date is an update, and the history's latest entry follows it.
ALTER TABLE payments ADD COLUMN status_date date;
UPDATE payments SET status_date = payment_date;
ALTER TABLE payments ALTER COLUMN status_date SET NOT NULL;

ALTER TABLE payment_status_history ADD COLUMN status_date date;
UPDATE payment_status_history h SET status_date = p.payment_date FROM payments p WHERE p.id = h.payment_id;
ALTER TABLE payment_status_history ALTER COLUMN status_date SET NOT NULL;

-- +goose Down
ALTER TABLE payment_status_history DROP COLUMN status_date;
ALTER TABLE payments DROP COLUMN status_date;
