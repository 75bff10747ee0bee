package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/speks-portal/speks/tenant"
)

// Output is the document `speks demo --json` prints (docs/API.md "Demo"). Keys a later feature
// has not built yet are left out (omitempty); those present work.
type Output struct {
	Port int `json:"port"`
	// PlatformHost is where the platform console and the dev mail sink answer (an addition to
	// the first published shape: scripts need it to read the mail a flow sends).
	PlatformHost  string                  `json:"platform_host"`
	PlatformAdmin *Account                `json:"platform_admin,omitempty"`
	Tenants       map[string]*TenantEntry `json:"tenants"`
}

// TenantEntry is one demo state. The account keys are filled by the modules that create those
// accounts, through a TenantStep.
type TenantEntry struct {
	Host              string                  `json:"host"`
	RegistrationMode  tenant.RegistrationMode `json:"registration_mode"`
	Staff             *Account                `json:"staff,omitempty"`
	Supplier          *Account                `json:"supplier,omitempty"`
	UnregisteredStaff *Person                 `json:"unregistered_staff,omitempty"`
	ITOfficer         *Account                `json:"it_officer,omitempty"`
	Treasury          *Account                `json:"treasury,omitempty"`
	HeadOfDepartment  *Account                `json:"head_of_department,omitempty"`
	PTJAdmin          *Account                `json:"ptj_admin,omitempty"`

	// For the text summary only.
	Name            string   `json:"-"`
	ProductionHosts []string `json:"-"`
	Counts          Counts   `json:"-"`
}

// Account is a demo login.
type Account struct {
	ID          string `json:"id"`
	Password    string `json:"password,omitempty"`
	TOTPSecret  string `json:"totp_secret,omitempty"`
	BankAccount string `json:"bank_account,omitempty"`
	Email       string `json:"email,omitempty"`
}

// Person is someone in the payroll master without an account yet.
type Person struct {
	ID    string `db:"id" json:"id"`
	Email string `db:"email" json:"email"`
}

// URL is the local address of host on the demo's port.
func (o *Output) URL(host string) string {
	if o.Port == 80 {
		return "http://" + host
	}
	return fmt.Sprintf("http://%s:%d", host, o.Port)
}

// Codes returns the tenant codes in order.
func (o *Output) Codes() []string {
	codes := make([]string, 0, len(o.Tenants))
	for code := range o.Tenants {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return codes
}

// WriteText prints the summary a developer reads after `speks demo`: the URLs, what each state
// holds, the logins, and what to try.
func WriteText(w io.Writer, o *Output) error {
	var b strings.Builder
	fmt.Fprintf(&b, "SPEKS Portal demo: %d states ready.\n\n", len(o.Tenants))
	fmt.Fprintf(&b, "  Platform console (JANM)  %s\n", o.URL(o.PlatformHost))
	if o.PlatformAdmin != nil {
		writeAccount(&b, "platform admin", o.PlatformAdmin)
	}
	width := 0
	for _, e := range o.Tenants {
		width = max(width, len(o.URL(e.Host)))
	}
	for _, code := range o.Codes() {
		writeTenant(&b, o, code, width)
	}
	writeTry(&b, o)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTenant(b *strings.Builder, o *Output, code string, width int) {
	e := o.Tenants[code]
	c := e.Counts
	fmt.Fprintf(b, "\n  %-9s %-*s  %s (%s; production host %s)\n", code, width, o.URL(e.Host), e.Name,
		e.RegistrationMode, strings.Join(e.ProductionHosts, ", "))
	fmt.Fprintf(b, "            %d departments, %d PTJs, %d staff, %d suppliers", c.Departments, c.PTJs, c.Staff, c.Suppliers)
	if added := c.NewDepartments + c.NewPTJs + c.NewStaff + c.NewSuppliers; added == 0 {
		fmt.Fprintf(b, " (all there already)\n")
	} else {
		fmt.Fprintf(b, " (added now: %d staff, %d suppliers)\n", c.NewStaff, c.NewSuppliers)
	}
	for _, a := range []struct {
		label   string
		account *Account
	}{
		{"staff", e.Staff}, {"supplier", e.Supplier}, {"IT officer", e.ITOfficer}, {"treasury", e.Treasury},
		{"head of department", e.HeadOfDepartment}, {"PTJ admin", e.PTJAdmin},
	} {
		if a.account != nil {
			writeAccount(b, a.label, a.account)
		}
	}
	if p := e.UnregisteredStaff; p != nil {
		fmt.Fprintf(b, "            no account yet: No. KP %s, email %s\n", p.ID, p.Email)
	}
}

func writeAccount(b *strings.Builder, label string, a *Account) {
	fmt.Fprintf(b, "            %-19s id %s", label+":", a.ID)
	if a.Password != "" {
		fmt.Fprintf(b, "  password %s", a.Password)
	}
	if a.TOTPSecret != "" {
		fmt.Fprintf(b, "  TOTP secret %s", a.TOTPSecret)
	}
	if a.BankAccount != "" {
		fmt.Fprintf(b, "  bank account %s", a.BankAccount)
	}
	b.WriteString("\n")
}

func writeTry(b *strings.Builder, o *Output) {
	codes := o.Codes()
	if len(codes) == 0 {
		return
	}
	example := o.Tenants[codes[0]]
	if e, ok := o.Tenants["selangor"]; ok {
		example = e
	}
	fmt.Fprintf(b, "\nWhat to try (with `make run` or `speks serve` running):\n")
	fmt.Fprintf(b, "  - open %s in a browser (*.localhost is this machine); switch Bahasa Melayu / English\n", o.URL(example.Host))
	fmt.Fprintf(b, "  - curl -s -H 'Host: %s' %s/api/v1/tenant\n", example.Host, o.URL("127.0.0.1"))
	for _, code := range codes {
		e := o.Tenants[code]
		switch {
		case e.RegistrationMode == tenant.PayrollMatch && e.UnregisteredStaff != nil:
			fmt.Fprintf(b, "  - %s: \"Login Kali Pertama\" with No. KP %s and %s (the one-time code arrives in the dev mail sink, %s/dev/mail)\n",
				e.Name, e.UnregisteredStaff.ID, e.UnregisteredStaff.Email, o.URL(o.PlatformHost))
		case e.RegistrationMode == tenant.SelfRegister:
			fmt.Fprintf(b, "  - %s: staff and suppliers register themselves (eSPEKS, PK 0101); an IT officer activates them\n", e.Name)
		case e.RegistrationMode == tenant.AdminOnly:
			fmt.Fprintf(b, "  - %s: accounts only through a user-admin request, approved by the head of department and the treasury\n", e.Name)
		}
	}
	fmt.Fprintf(b, "  - speks demo --json prints all of this for scripts; speks tenant list shows the tenants\n")
}
