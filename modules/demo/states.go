package demo

import (
	"fmt"

	"github.com/speks-portal/speks/tenant"
)

// State is one demo tenant as the state's own portal describes it, with what the generator needs
// to make its people look like they work for that state.
type State struct {
	Spec tenant.Spec
	// Adjective is how departments name the state ("Negeri Pahang" → "Pahang").
	Adjective string
	// BirthplaceCodes are the IC place-of-birth (PB) codes of the state; most staff were born
	// where they work.
	BirthplaceCodes []string
	// OfficialDomain is the state's government mail domain (staff addresses).
	OfficialDomain string
	// AreaCode is the landline prefix of the state capital.
	AreaCode string
	// DistrictWord is "Daerah", or "Jajahan" in Kelantan, which keeps the older word.
	DistrictWord string
	// LandOffice names a district's land and district office.
	LandOffice string
	// ReligiousDepartment is the state's own name for its Islamic affairs department.
	ReligiousDepartment string
	Districts           []string
	// OnlyOfficialEmail: every staff address is on OfficialDomain (Selangor's rule that first
	// login only accepts the state's official mail).
	OnlyOfficialEmail bool
	// Communities weighs the communities staff names are drawn from (Malay, Chinese, Indian,
	// Sikh, Iban, Kadazan-Dusun, Eurasian), roughly as the state's civil service is made up.
	Communities []weighted[community]
}

// States lists the four demo tenants. Helpdesk addresses and numbers are placeholders under
// the state's domain and area code, not the real helpdesk lines quoted in the seeds, so that a
// demo never sends anyone to a real office.
func States() []State {
	return []State{
		{
			Spec: tenant.Spec{
				Code: "pahang", Name: "Pahang", Hosts: []string{"espeks.pahang.gov.my"},
				RegistrationMode: tenant.SelfRegister, RetentionMonths: 24,
				HelpdeskEmail: "helpdesk@espeks.pahang.gov.my", HelpdeskPhone: "09-512 0000",
				Branding: tenant.Branding{PrimaryColour: "#1f2a44", AccentColour: "#8a6300"},
			},
			Adjective: "Pahang", BirthplaceCodes: []string{"06", "32", "33"},
			OfficialDomain: "pahang.gov.my", AreaCode: "09", DistrictWord: "Daerah",
			LandOffice: "Pejabat Daerah dan Tanah", ReligiousDepartment: "Jabatan Agama Islam Pahang",
			Districts: []string{"Kuantan", "Pekan", "Temerloh", "Bentong", "Raub", "Lipis",
				"Jerantut", "Rompin", "Maran", "Bera", "Cameron Highlands"},
			Communities: []weighted[community]{{malay, 84}, {chinese, 7}, {indian, 4}, {sikh, 1}, {iban, 1}, {kadazan, 1}, {eurasian, 1}},
		},
		{
			Spec: tenant.Spec{
				Code: "kelantan", Name: "Kelantan", Hosts: []string{"ispeks.kelantan.gov.my"},
				RegistrationMode: tenant.PayrollMatch, RetentionMonths: 24,
				HelpdeskEmail: "helpdesk@ispeks.kelantan.gov.my", HelpdeskPhone: "09-748 0000",
				Branding: tenant.Branding{PrimaryColour: "#9b1b1f", AccentColour: "#1d3c78"},
			},
			Adjective: "Kelantan", BirthplaceCodes: []string{"03", "28", "29"},
			OfficialDomain: "kelantan.gov.my", AreaCode: "09", DistrictWord: "Jajahan",
			LandOffice: "Pejabat Tanah dan Jajahan", ReligiousDepartment: "Jabatan Hal Ehwal Agama Islam Kelantan",
			Districts: []string{"Kota Bharu", "Pasir Mas", "Tumpat", "Pasir Puteh", "Bachok",
				"Kuala Krai", "Machang", "Tanah Merah", "Jeli", "Gua Musang"},
			Communities: []weighted[community]{{malay, 94}, {chinese, 3}, {indian, 1}, {sikh, 1}, {kadazan, 1}},
		},
		{
			Spec: tenant.Spec{
				Code: "melaka", Name: "Melaka", Hosts: []string{"p.ispeks.melaka.gov.my"},
				RegistrationMode: tenant.AdminOnly, RetentionMonths: 24,
				HelpdeskEmail: "helpdesk@p.ispeks.melaka.gov.my", HelpdeskPhone: "06-232 0000",
				Branding: tenant.Branding{PrimaryColour: "#0b3d91", AccentColour: "#c8102e"},
			},
			Adjective: "Melaka", BirthplaceCodes: []string{"04", "30"},
			OfficialDomain: "melaka.gov.my", AreaCode: "06", DistrictWord: "Daerah",
			LandOffice: "Pejabat Daerah dan Tanah", ReligiousDepartment: "Jabatan Agama Islam Melaka",
			Districts:   []string{"Melaka Tengah", "Alor Gajah", "Jasin"},
			Communities: []weighted[community]{{malay, 80}, {chinese, 10}, {indian, 5}, {sikh, 1}, {eurasian, 3}, {iban, 1}},
		},
		{
			Spec: tenant.Spec{
				Code: "selangor", Name: "Selangor", Hosts: []string{"p.ispeks.selangor.gov.my"},
				RegistrationMode: tenant.PayrollMatch, EmailDomains: []string{"selangor.gov.my"}, RetentionMonths: 24,
				HelpdeskEmail: "helpdesk@p.ispeks.selangor.gov.my", HelpdeskPhone: "03-5544 0000",
				Branding: tenant.Branding{PrimaryColour: "#b0101f", AccentColour: "#8a6d00"},
			},
			Adjective: "Selangor", BirthplaceCodes: []string{"10", "41", "42", "43", "44"},
			OfficialDomain: "selangor.gov.my", AreaCode: "03", DistrictWord: "Daerah",
			LandOffice: "Pejabat Daerah dan Tanah", ReligiousDepartment: "Jabatan Agama Islam Selangor",
			Districts: []string{"Petaling", "Klang", "Hulu Langat", "Gombak", "Sepang",
				"Kuala Langat", "Kuala Selangor", "Hulu Selangor", "Sabak Bernam"},
			OnlyOfficialEmail: true,
			Communities:       []weighted[community]{{malay, 76}, {chinese, 10}, {indian, 8}, {sikh, 2}, {iban, 1}, {kadazan, 1}, {eurasian, 2}},
		},
	}
}

// BirthplaceCodes maps every Malaysian state's IC place-of-birth codes (JPN), used for staff
// born outside the state they work in and to validate generated numbers.
var BirthplaceCodes = map[string][]string{
	"Johor":           {"01", "21", "22", "23", "24"},
	"Kedah":           {"02", "25", "26", "27"},
	"Kelantan":        {"03", "28", "29"},
	"Melaka":          {"04", "30"},
	"Negeri Sembilan": {"05", "31", "59"},
	"Pahang":          {"06", "32", "33"},
	"Pulau Pinang":    {"07", "34", "35"},
	"Perak":           {"08", "36", "37", "38", "39"},
	"Perlis":          {"09", "40"},
	"Selangor":        {"10", "41", "42", "43", "44"},
	"Terengganu":      {"11", "45", "46"},
	"Sabah":           {"12", "47", "48", "49"},
	"Sarawak":         {"13", "50", "51", "52", "53"},
	"Kuala Lumpur":    {"14", "54", "55", "56", "57"},
	"Labuan":          {"15", "58"},
	"Putrajaya":       {"16"},
}

// stateOrder fixes the iteration order over BirthplaceCodes (map order is random, and the
// generator must be deterministic).
var stateOrder = []string{"Johor", "Kedah", "Kelantan", "Melaka", "Negeri Sembilan", "Pahang",
	"Pulau Pinang", "Perak", "Perlis", "Selangor", "Terengganu", "Sabah", "Sarawak",
	"Kuala Lumpur", "Labuan", "Putrajaya"}

// StatesUpTo is the four demo states followed, when n is larger, by synthetic ones up to n
// in all ("bench05", "bench06", …), each a copy of a demo state in turn under its own code,
// name and host: benchmark volume across many tenants (`speks demo --states`).
func StatesUpTo(n int) []State {
	out := States()
	base := len(out)
	for i := base; i < n; i++ {
		s := out[i%base]
		code := fmt.Sprintf("bench%02d", i+1)
		host := code + ".speks.example"
		s.Spec.Code = code
		s.Spec.Name = fmt.Sprintf("%s %d", s.Spec.Name, i+1)
		s.Spec.Hosts = []string{host}
		s.Spec.HelpdeskEmail = "helpdesk@" + host
		out = append(out, s)
	}
	return out
}
