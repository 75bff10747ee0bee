// Package replicas holds no production code: its tests prove that several `speks serve` and
// `speks worker` processes cooperate against one PostgreSQL and one Redis.
//
// The tests build the real binary once and run it as separate operating-system processes,
// exactly as Kubernetes runs replicas: nothing is shared between them but the database, Redis
// and the configuration. They live in a package of their own, not in package main beside them, so that they
// treat the binary as a black box (no access to package main's internals), get a test binary of
// their own (`go test ./cmd/speks/replicas/`), and cannot collide with cmd/speks's test helpers.
//
// What they prove, and what they only simulate, is written in docs/OPERATIONS.md ("Replicas").
// `go test -short` skips them: they start processes and take about a minute.
package replicas
