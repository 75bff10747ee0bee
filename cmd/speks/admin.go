package main

import (
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/records"
)

// adminModule is the state IT officer's console; mounted after authz, which guards it.
func (rt *runtime) adminModule() web.Module {
	return admin.NewModule(rt.accountService(), rt.registry)
}

// recordsModule serves ePayslip, eEC and eMaklum; its PDFs print the logo the IT officer
// uploads here, read through admin.Logos.
func (rt *runtime) recordsModule() web.Module { return &records.Module{Logos: admin.Logos{}} }
