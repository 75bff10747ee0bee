package main

import (
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/records"
)

// adminModule is the state IT officer's console; mounted after authz, which guards it.
func (rt *runtime) adminModule() web.Module {
	return admin.NewModule(rt.accountService(), rt.registry)
}

// adminDemoStep adds each demo state's officers; their TOTP secrets are sealed with
// secrets.session, so it needs the same account service as `speks serve`.
func (rt *runtime) adminDemoStep() demo.TenantStep {
	return admin.DemoStep(rt.accountService(), account.DefaultArgon2)
}

// recordsModule serves ePayslip, eEC and eMaklum; its PDFs print the logo the IT officer
// uploads here, read through admin.Logos.
func (rt *runtime) recordsModule() web.Module { return &records.Module{Logos: admin.Logos{}} }
