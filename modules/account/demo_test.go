package account_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/speks-portal/speks/modules/demo"
)

func TestDemoAddsStaffAndSupplierThatCanLogIn(t *testing.T) {
	h := newHarness(t)
	run := func() *demo.Output {
		out, err := demo.Run(context.Background(), demo.Deps{Databases: h.env.Databases, Registry: h.env.Registry, Provisioner: h.env.Provisioner},
			demo.Options{Port: 8080, DevHostSuffix: ".localhost", PlatformHost: "platform.localhost", Staff: 5, Suppliers: 3,
				TenantSteps: []demo.TenantStep{demo.StaffStep(testArgon)}})
		if err != nil {
			t.Fatalf("demo: %v", err)
		}
		return out
	}
	out := run()
	h.env.Resolver.Invalidate()
	for _, code := range []string{"selangor", "pahang"} {
		e := out.Tenants[code]
		if e.Staff == nil || e.Supplier == nil || e.Supplier.BankAccount == "" {
			t.Fatalf("%s demo entry lacks staff or supplier: %+v", code, e)
		}
		if e.UnregisteredStaff != nil && e.UnregisteredStaff.ID == e.Staff.ID {
			t.Fatalf("%s: the demo staff is also offered as unregistered", code)
		}
		c := h.client(t, code)
		for _, acc := range []*demo.Account{e.Staff, e.Supplier} {
			if r := c.login(acc.ID, acc.Password); r.Status != http.StatusOK || r.Body["next"] != "home" {
				t.Fatalf("%s demo login %s: %s", code, acc.ID, r.Raw)
			}
		}
	}
	again := run() // idempotent: same accounts, no error
	if again.Tenants["selangor"].Staff.ID != out.Tenants["selangor"].Staff.ID {
		t.Fatal("a second demo run picked another staff member")
	}
}
