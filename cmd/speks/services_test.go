package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Every service is built once in the composition root: the account service the platform
// console, the admin console, the requests workflow and the demo use is one and the same.
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
	p := rt.platformService()
	if rt.platformService() != p || p.Accounts != accounts {
		t.Error("the platform service was built again, or over another account service")
	}
}
