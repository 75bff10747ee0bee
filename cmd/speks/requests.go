package main

import (
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/requests"
)

// requestsModule is the user-administration workflow and the PTJ admin's API; mounted after
// the authorisation middleware so the policies cover every route of it.
func (rt *runtime) requestsModule() web.Module {
	return requests.NewModule(&requests.Service{Accounts: rt.accountRegistration(), LoginURL: rt.loginURL, BaseURL: rt.tenantBaseURL})
}
