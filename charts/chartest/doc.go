// Package chartest checks the Helm chart in ../speks offline: it renders the chart with the
// Helm SDK for several value sets, decodes every manifest strictly into the Kubernetes API
// types (unknown or duplicate fields fail) and checks the invariants the platform relies on:
// exactly one scheduler, the migration hook, probes, graceful termination, security contexts,
// secrets referenced by name only, and containers that run real `speks` subcommands.
//
// It is a module of its own so that Helm and the Kubernetes API types never enter the
// dependency graph of the speks binary. Run it with `cd charts/chartest && go test ./...`.
//
// The list of subcommands the chart may run is fixed here; cmd/speks/dockerfile_test.go, in
// the main module, checks the chart's templates against the real cobra command tree.
package chartest
