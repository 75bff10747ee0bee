package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Every service is built once in the composition root: the account service the platform
// console, the admin console, the requests workflow and the demo use is one and the same, and
// so are its flows' services (login, registration, recovery) the account handlers take.
func TestServicesAreBuiltOnce(t *testing.T) {
	env := tenanttest.New(t, 2)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = env.URL
	rt := &runtime{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), dbs: env.Databases, registry: env.Registry,
		resolver: env.Resolver, scoper: env.Scoper, provisioner: env.Provisioner}
	accounts := rt.accountService()
	_ = rt.webModules()
	_ = rt.demoTenantSteps()
	if rt.accountService() != accounts {
		t.Error("the account service was built again")
	}
	if rt.accountLogin() != accounts.Login || rt.accountRegistration() != accounts.Registration ||
		rt.accountRecovery() != accounts.Recovery {
		t.Error("a flow's service (login, registration, recovery) was built again")
	}
	if m := rt.accountModule(); m.Login != accounts.Login || m.Registration != accounts.Registration ||
		m.Recovery != accounts.Recovery || m.Service != accounts {
		t.Error("the account handlers were given services of their own")
	}
	if accounts.Login.Config != accounts.Config || accounts.Recovery.Config != accounts.Config {
		t.Error("the flows' services do not share the account configuration")
	}
	p := rt.platformService()
	if rt.platformService() != p || p.Accounts != accounts {
		t.Error("the platform service was built again, or over another account service")
	}
}
