-- pgbench yardstick of the payslip JSON endpoint (make bench-payday): the statements
-- modules/records runs for one view (the payslip with its header and year to date, its lines,
-- the verification-token lookup, the audit insert) for a random one of the tenant's staff
-- accounts, one extra primary-key probe picking it. Run by pgbench only, never by the app.
-- The payslip's statements run as the app runs them (tenant/database.go): one transaction that
-- opens with BEGIN and SET LOCAL search_path in one round trip.
-- Go fmt verbs: %[1]d the last account offset, %[2]d year, %[3]d month, %[4]s month as MM,
-- %[5]s the tenant's schema.
\set n random(0, %[1]d)
SELECT id AS user_id, employee_ic FROM users WHERE category = 'staff' AND status = 'active' ORDER BY id OFFSET :n LIMIT 1 \gset
BEGIN \; SET LOCAL search_path TO "%[5]s";
SELECT p.year, p.month, to_char(p.pay_date, 'YYYY-MM-DD') AS pay_date, p.gross, p.total_deductions, p.net, e.ic_no, e.name, e.salary_no, e.position, e.grade, e.bank_name, e.bank_account, coalesce(d.name, e.department_code) AS department, coalesce(t.name, e.ptj_code) AS ptj, y.gross AS ytd_gross, y.deductions AS ytd_deductions, y.net AS ytd_net FROM payslips p JOIN employees e ON e.ic_no = p.ic_no LEFT JOIN departments d ON d.code = e.department_code LEFT JOIN ptjs t ON t.code = e.ptj_code CROSS JOIN LATERAL ( SELECT sum(gross) AS gross, sum(total_deductions) AS deductions, sum(net) AS net FROM payslips WHERE ic_no = p.ic_no AND year = p.year AND month <= p.month) y WHERE p.ic_no = ':employee_ic' AND p.year = %[2]d AND p.month = %[3]d;
SELECT kind, code, description, amount FROM payslip_lines WHERE ic_no = ':employee_ic' AND year = %[2]d AND month = %[3]d ORDER BY seq;
SELECT token FROM document_tokens WHERE doc_type = 'payslip' AND doc_key = ':employee_ic/%[2]d/%[3]d' AND content_hash = 'x';
INSERT INTO audit_log (actor_user_id, action, subject, detail) VALUES (:user_id, 'payslip.view', 'payslip %[2]d-%[4]s', '{"year": %[2]d, "month": %[3]d, "ip": "127.0.0.1"}');
COMMIT;
