// Package platform is JANM's console on the platform host: platform administrators (public
// schema, argon2id passwords and TOTP always required), their sessions, and the tenant
// lifecycle — list with health, onboard (provision + first IT officer), change hosts and
// status, export, offboard. Every action is written to public.platform_audit.
//
// Two web modules: Sessions (the platform session middleware) is mounted before authz so the
// Casbin check sees the platform_admin Principal; Module (the routes) is mounted after it, so
// every console route is authorised in domain "*".
//
// Why not the account module's sessions: those live in each tenant's schema and are looked up
// through the tenant scope, which the platform host does not have. The cookie and CSRF rules
// are the same (HttpOnly, SameSite=Lax, __Host- prefix behind TLS, 256-bit token of which only
// the SHA-256 is stored, X-CSRF-Token on every state-changing request), with a cookie name of
// its own so a tenant cookie never means anything here.
package platform
