package demo

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/tenant"
)

var (
	icPattern     = regexp.MustCompile(`^([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9])([0-9]{2})([0-9])$`)
	mobilePattern = regexp.MustCompile(`^01[1-9]-[1-9][0-9]{6,7}$`)
	ssmNewPattern = regexp.MustCompile(`^(19[0-9]{2}|20[0-2][0-9])(01|03)[0-9]{6}$`)
	ssmOldPattern = regexp.MustCompile(`^[1-9][0-9]{0,6}[A-Z]$`)
	gradePattern  = regexp.MustCompile(`^[A-Z]{1,2}[0-9]{2}$`)
)

// allBirthplaceCodes is every PB code of a Malaysian state.
func allBirthplaceCodes() map[string]bool {
	codes := map[string]bool{}
	for _, list := range BirthplaceCodes {
		for _, c := range list {
			codes[c] = true
		}
	}
	return codes
}

func TestStatesAreTheSeedsTenants(t *testing.T) {
	want := map[string]struct {
		mode    tenant.RegistrationMode
		host    string
		domains []string
	}{
		"pahang":   {tenant.SelfRegister, "espeks.pahang.gov.my", nil},
		"kelantan": {tenant.PayrollMatch, "ispeks.kelantan.gov.my", nil},
		"melaka":   {tenant.AdminOnly, "p.ispeks.melaka.gov.my", nil},
		"selangor": {tenant.PayrollMatch, "p.ispeks.selangor.gov.my", []string{"selangor.gov.my"}},
	}
	states := States()
	if len(states) != len(want) {
		t.Fatalf("got %d states, want %d", len(states), len(want))
	}
	phone := regexp.MustCompile(`^0[3-9]-[0-9]{3,4} [0-9]{4}$`)
	for _, s := range states {
		w, ok := want[s.Spec.Code]
		if !ok {
			t.Fatalf("unexpected state %q", s.Spec.Code)
		}
		if s.Spec.RegistrationMode != w.mode || !slices.Equal(s.Spec.Hosts, []string{w.host}) || !slices.Equal(s.Spec.EmailDomains, w.domains) {
			t.Errorf("%s: mode %s hosts %v domains %v, want %s [%s] %v", s.Spec.Code, s.Spec.RegistrationMode, s.Spec.Hosts, s.Spec.EmailDomains, w.mode, w.host, w.domains)
		}
		spec := s.Spec
		if err := spec.Validate("platform.localhost"); err != nil {
			t.Errorf("%s: spec invalid: %v", s.Spec.Code, err)
		}
		if !strings.HasSuffix(s.Spec.HelpdeskEmail, "@"+w.host) || !phone.MatchString(s.Spec.HelpdeskPhone) {
			t.Errorf("%s: helpdesk %q %q not on the state's host or not a Malaysian landline", s.Spec.Code, s.Spec.HelpdeskEmail, s.Spec.HelpdeskPhone)
		}
		if !slices.Equal(s.BirthplaceCodes, BirthplaceCodes[s.Spec.Name]) {
			t.Errorf("%s: birthplace codes %v, want %v", s.Spec.Code, s.BirthplaceCodes, BirthplaceCodes[s.Spec.Name])
		}
	}
}

// The branding colours carry white text and links on white, so both need WCAG AA (4.5:1).
func TestBrandingColoursHaveContrastWithWhite(t *testing.T) {
	for _, s := range States() {
		for _, colour := range []string{s.Spec.Branding.PrimaryColour, s.Spec.Branding.AccentColour} {
			if ratio := contrastWithWhite(t, colour); ratio < 4.5 {
				t.Errorf("%s: colour %s has contrast %.2f:1 with white, want at least 4.5:1", s.Spec.Code, colour, ratio)
			}
		}
	}
}

func contrastWithWhite(t *testing.T, hex string) float64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	channel := func(c uint64) float64 {
		x := float64(c) / 255
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	l := 0.2126*channel(v>>16&0xff) + 0.7152*channel(v>>8&0xff) + 0.0722*channel(v&0xff)
	return 1.05 / (l + 0.05)
}

func TestStaffAreValid(t *testing.T) {
	pbCodes := allBirthplaceCodes()
	for _, state := range States() {
		t.Run(state.Spec.Code, func(t *testing.T) {
			depts := organisationOf(&state)
			ptjDept := map[string]string{}
			for _, d := range depts {
				for _, p := range d.PTJs {
					ptjDept[p.Code] = d.Code
				}
			}
			bankDigits := map[string]int{}
			for _, b := range banks {
				bankDigits[b.Item.Name] = b.Item.Digits
			}
			g := newStaffGenerator(&state, depts)
			ics, salaryNos, emails := map[string]bool{}, map[string]bool{}, map[string]bool{}
			communities := map[string]bool{}
			const n = 3000
			for i := 0; i < n; i++ {
				e := g.employee(i)
				checkIC(t, e, pbCodes)
				if ics[e.ICNo] || salaryNos[e.SalaryNo] || (e.Email != "" && emails[e.Email]) {
					t.Fatalf("row %d repeats an IC, salary no. or email: %+v", i, e)
				}
				ics[e.ICNo], salaryNos[e.SalaryNo], emails[e.Email] = true, true, true
				checkEmail(t, &state, e.Email)
				if ptjDept[e.PTJCode] != e.DepartmentCode {
					t.Errorf("%s: PTJ %s is not in department %s", e.ICNo, e.PTJCode, e.DepartmentCode)
				}
				if !gradePattern.MatchString(e.Grade) || e.Position == "" {
					t.Errorf("%s: position %q grade %q", e.ICNo, e.Position, e.Grade)
				}
				if d, ok := bankDigits[e.BankName]; !ok || len(e.BankAccount) != d || strings.Trim(e.BankAccount, "0123456789") != "" {
					t.Errorf("%s: bank %q account %q", e.ICNo, e.BankName, e.BankAccount)
				}
				if e.Phone != "" && !mobilePattern.MatchString(e.Phone) {
					t.Errorf("%s: phone %q is not a Malaysian mobile number", e.ICNo, e.Phone)
				}
				if len(e.SalaryNo) != 9 || !strings.HasPrefix(e.SalaryNo, state.BirthplaceCodes[0]) {
					t.Errorf("%s: salary no %q", e.ICNo, e.SalaryNo)
				}
				communities[communityOf(e.Name)] = true
			}
			for _, c := range []string{"malay", "chinese", "indian"} {
				if !communities[c] {
					t.Errorf("no %s names among %d staff", c, n)
				}
			}
		})
	}
}

// checkIC verifies YYMMDD-PB-NNNG: the date is the birth date of someone of working age, PB a
// real state code, the serial's first digit fits the century and G's parity the gender.
func checkIC(t *testing.T, e Employee, pbCodes map[string]bool) {
	t.Helper()
	m := icPattern.FindStringSubmatch(e.ICNo)
	if m == nil {
		t.Fatalf("IC %q is not 12 digits", e.ICNo)
	}
	born, err := time.Parse("060102", e.ICNo[:6])
	if err != nil {
		t.Fatalf("IC %q: no valid date: %v", e.ICNo, err)
	}
	if born.Year() > ReferenceDate.Year() { // Go puts YY ≥ 69 in the 1900s; the rest in the 2000s
		born = born.AddDate(-100, 0, 0)
	}
	if !born.Equal(e.BirthDate) {
		t.Errorf("IC %q: date %s, birth date %s", e.ICNo, born.Format(time.DateOnly), e.BirthDate.Format(time.DateOnly))
	}
	age := ageOn(e.BirthDate, ReferenceDate)
	if age < 19 || age > MaxAge {
		t.Errorf("IC %q: aged %d on %s, not a working age", e.ICNo, age, ReferenceDate.Format(time.DateOnly))
	}
	if !pbCodes[m[4]] {
		t.Errorf("IC %q: place-of-birth code %s is not a state's", e.ICNo, m[4])
	}
	first := m[5][0]
	if (born.Year() < 2000 && (first < '5' || first > '7')) || (born.Year() >= 2000 && first != '0') {
		t.Errorf("IC %q: serial starts with %c for someone born in %d", e.ICNo, first, born.Year())
	}
	odd := (m[7][0]-'0')%2 == 1
	if odd != e.Male || maleByName(e.Name) != e.Male {
		t.Errorf("IC %q: gender digit odd=%v, generated male=%v, name %q", e.ICNo, odd, e.Male, e.Name)
	}
}

func ageOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.YearDay() < birth.YearDay() {
		age--
	}
	return age
}

// maleByName reads the gender from the patronymic markers where a name has one; others are
// trusted to the generator.
func maleByName(name string) bool {
	switch {
	case strings.Contains(name, " binti ") || strings.Contains(name, " a/p ") || strings.Contains(name, " Kaur"):
		return false
	case strings.Contains(name, " bin ") || strings.Contains(name, " a/l "):
		return true
	}
	for _, given := range append(append(append(append([]string{}, chineseFemale...), englishFemale...), ibanFemale...), append(kadazanFemale, eurasianFemale...)...) {
		if strings.Contains(name, given) {
			return false
		}
	}
	return true
}

func communityOf(name string) string {
	switch {
	case strings.Contains(name, " bin ") || strings.Contains(name, " binti "):
		return "malay"
	case strings.Contains(name, " a/l ") || strings.Contains(name, " a/p "):
		return "indian"
	}
	for _, s := range chineseSurname {
		if strings.HasPrefix(name, s+" ") || strings.Contains(name, " "+s+" ") {
			return "chinese"
		}
	}
	return "other"
}

func checkEmail(t *testing.T, s *State, email string) {
	t.Helper()
	if email == "" {
		if s.OnlyOfficialEmail {
			t.Errorf("%s: a staff member without email", s.Spec.Code)
		}
		return
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || strings.Trim(local, "abcdefghijklmnopqrstuvwxyz0123456789.") != "" {
		t.Errorf("%s: email %q", s.Spec.Code, email)
	}
	switch {
	case s.OnlyOfficialEmail && domain != s.OfficialDomain:
		t.Errorf("%s: email %q is not on %s", s.Spec.Code, email, s.OfficialDomain)
	case domain == s.OfficialDomain || strings.HasSuffix(domain, "."+s.OfficialDomain) || slices.Contains(personalDomains, domain):
	default:
		t.Errorf("%s: email %q on an unexpected domain", s.Spec.Code, email)
	}
}

func TestSuppliersHaveSSMNumbers(t *testing.T) {
	for _, state := range States() {
		g := newSupplierGenerator(&state)
		news, olds, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
		var onlyNew, onlyOld, both int
		for i := 0; i < 500; i++ {
			s := g.supplier(i)
			switch {
			case s.RegNoNew != "" && s.RegNoOld != "":
				both++
			case s.RegNoNew != "":
				onlyNew++
			case s.RegNoOld != "":
				onlyOld++
			default:
				t.Fatalf("%s: supplier %q has no registration number", state.Spec.Code, s.Name)
			}
			if s.RegNoNew != "" && (!ssmNewPattern.MatchString(s.RegNoNew) || news[s.RegNoNew]) {
				t.Errorf("%s: new SSM number %q malformed or repeated", state.Spec.Code, s.RegNoNew)
			}
			if s.RegNoOld != "" && (!ssmOldPattern.MatchString(s.RegNoOld) || olds[s.RegNoOld]) {
				t.Errorf("%s: old SSM number %q malformed or repeated", state.Spec.Code, s.RegNoOld)
			}
			if s.RegNoOld != "" && !strings.HasSuffix(s.Name, " Sdn. Bhd.") {
				t.Errorf("%s: %q is not a company but has an old company number", state.Spec.Code, s.Name)
			}
			if names[s.Name] || s.BankAccount == "" || !strings.HasPrefix(s.Phone, state.AreaCode+"-") {
				t.Errorf("%s: supplier %+v", state.Spec.Code, s)
			}
			news[s.RegNoNew], olds[s.RegNoOld], names[s.Name] = true, true, true
		}
		if onlyNew == 0 || onlyOld == 0 || both == 0 {
			t.Errorf("%s: want every form of SSM number, got %d new only, %d old only, %d both", state.Spec.Code, onlyNew, onlyOld, both)
		}
	}
}

// A larger run must extend a smaller one row for row, and a re-run must repeat it exactly.
func TestGeneratorsAreDeterministicPrefixes(t *testing.T) {
	state := States()[3]
	depts := organisationOf(&state)
	small, large := newStaffGenerator(&state, depts), newStaffGenerator(&state, depts)
	smallSup, largeSup := newSupplierGenerator(&state), newSupplierGenerator(&state)
	for i := 0; i < 400; i++ {
		if a, b := small.employee(i), large.employee(i); a != b {
			t.Fatalf("employee %d differs between runs: %+v vs %+v", i, a, b)
		}
		if a, b := smallSup.supplier(i), largeSup.supplier(i); a != b {
			t.Fatalf("supplier %d differs between runs: %+v vs %+v", i, a, b)
		}
	}
	other := newStaffGenerator(&States()[0], organisationOf(&States()[0]))
	if small.employee(400).ICNo == other.employee(400).ICNo {
		t.Error("two states generated the same person: seeds are not per state")
	}
}

func TestOldNumbersGrowWithAge(t *testing.T) {
	lo1990, _ := oldNumberRange(1990)
	lo2018, hi2018 := oldNumberRange(2018)
	if !(lo1990 < lo2018 && lo2018 < hi2018 && hi2018 <= 1_310_000) {
		t.Errorf("ranges 1990 from %d, 2018 %d–%d: not increasing towards 1 310 000", lo1990, lo2018, hi2018)
	}
}

func TestOptionsRefuseProductionAndBadVolumes(t *testing.T) {
	prod := Options{Production: true, Port: 8080}
	if err := prod.normalise(); err != ErrProduction {
		t.Errorf("production: got %v, want ErrProduction", err)
	}
	bad := Options{Port: 8080, Staff: MaxStaff + 1, Suppliers: -1}
	err := bad.normalise()
	if err == nil || !strings.Contains(err.Error(), "staff") || !strings.Contains(err.Error(), "suppliers") {
		t.Errorf("bad volumes: got %v, want both problems", err)
	}
	def := Options{Port: 8080}
	if err := def.normalise(); err != nil || def.Staff != DefaultStaff || def.Suppliers != DefaultSuppliers {
		t.Errorf("defaults: %v %+v", err, def)
	}
}

// Synthetic states (speks demo --states) are valid tenants of their own: distinct codes and
// hosts, the four demo states first and unchanged, and their records found for the feed.
func TestStatesUpToAddsValidSyntheticStates(t *testing.T) {
	if got := len(StatesUpTo(2)); got != 4 {
		t.Errorf("StatesUpTo(2) has %d states, want the four", got)
	}
	states := StatesUpTo(16)
	if len(states) != 16 || states[0].Spec.Code != States()[0].Spec.Code || states[4].Spec.Code != "bench05" || states[15].Spec.Code != "bench16" {
		t.Fatalf("codes: %d states, %s %s %s", len(states), states[0].Spec.Code, states[4].Spec.Code, states[15].Spec.Code)
	}
	codes, hosts := map[string]bool{}, map[string]bool{}
	for _, s := range states {
		spec := s.Spec
		spec.Normalise()
		if err := spec.Validate("platform.localhost"); err != nil {
			t.Errorf("%s: %v", s.Spec.Code, err)
		}
		if codes[spec.Code] || hosts[spec.Hosts[0]] {
			t.Errorf("%s: code or host %s used twice", spec.Code, spec.Hosts[0])
		}
		codes[spec.Code], hosts[spec.Hosts[0]] = true, true
		if st, ok := stateOf(spec.Code); !ok || st.Spec.Code != spec.Code {
			t.Errorf("%s: the records step would not find it", spec.Code)
		}
	}
	if err := (&Options{Port: 8080, States: MaxStates + 1}).normalise(); err == nil || !strings.Contains(err.Error(), "states") {
		t.Errorf("too many states: %v", err)
	}
}

func BenchmarkGenerateStaff(b *testing.B) {
	state := States()[3]
	g := newStaffGenerator(&state, organisationOf(&state))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = g.employee(i)
	}
}

// Borang EC's part A in the demo: pensionable officers (no KWSP) have a KWAP number and no
// PERKESO one; contract officers have KWSP and their PERKESO number is their IC; both kinds
// are in every state, and children qualifying for relief stay between 0 and 5.
func TestECParticularsFollowTheScheme(t *testing.T) {
	for _, state := range States() {
		g := newStaffGenerator(&state, organisationOf(&state))
		var kwap, kwsp int
		for i := range 300 {
			e := g.employee(i)
			switch {
			case e.KWSPNo == "" && len(e.KWAPNo) == 8 && e.PERKESONo == "":
				kwap++
			case e.KWSPNo != "" && e.KWAPNo == "" && e.PERKESONo == e.ICNo:
				kwsp++
			default:
				t.Errorf("%s: %s has KWSP %q, KWAP %q, PERKESO %q", state.Spec.Code, e.SalaryNo, e.KWSPNo, e.KWAPNo, e.PERKESONo)
			}
			if e.Children < 0 || e.Children > 5 {
				t.Errorf("%s: %d children", e.SalaryNo, e.Children)
			}
		}
		if kwap < 100 || kwsp < 50 {
			t.Errorf("%s: %d on KWAP, %d on KWSP", state.Spec.Code, kwap, kwsp)
		}
	}
}
