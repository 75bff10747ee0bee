package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Supplier is one row of the supplier master. A company is known by its new 12-digit SSM
// number, its old one (digits and a check letter, stored without the dash: 1312525A), or both;
// an empty field is NULL.
type Supplier struct {
	RegNoNew, RegNoOld string
	Name, Email, Phone string
	BankName           string
	BankAccount        string
	Status             string
}

// SSM entity types in the new numbering: YYYY (year registered) TT (type) NNNNNN.
const (
	ssmLocalCompany = "01"
	ssmBusiness     = "03"
)

var (
	supplierWords = []string{"Maju", "Jaya", "Cemerlang", "Gemilang", "Bestari", "Sinar", "Cahaya",
		"Teras", "Mutiara", "Bumi", "Delima", "Permata", "Wawasan", "Utama", "Setia", "Murni", "Harmoni",
		"Intan", "Nusa", "Seri", "Damai", "Indah", "Perdana", "Kukuh", "Timur", "Pantai", "Hijau",
		"Baiduri", "Kenanga", "Tekun", "Sepakat", "Makmur"}
	supplierTrades = []string{"Pembinaan", "Kejuruteraan", "Engineering", "Teknologi", "Trading",
		"Resources", "Services", "Construction", "Landskap", "Bekalan Pejabat", "Percetakan", "Katering",
		"Logistik", "Elektrik", "IT Solutions", "Agro", "Medical Supplies", "Pengangkutan", "Hardware"}
	businessForms = []string{"%s %s Enterprise", "Perniagaan %s %s", "%s %s Trading", "Kedai %s %s"}
)

// oldNumberAnchors approximate how far the old SSM company numbers had got by each year, so an
// old number matches its company's age (the 1990s in the 200 000s, 2019 around 1 310 000).
var oldNumberAnchors = []struct{ year, first int }{
	{1975, 20_000}, {1980, 50_000}, {1990, 190_000}, {2000, 510_000}, {2005, 680_000},
	{2010, 890_000}, {2015, 1_120_000}, {2018, 1_270_000}, {2019, 1_310_000},
}

// supplierGenerator makes the suppliers of one state, with the same determinism and prefix
// property as staffGenerator.
type supplierGenerator struct {
	state   *State
	seed    uint64
	newSeen map[string]struct{}
	oldSeen map[string]struct{}
	names   map[string]struct{}
}

func newSupplierGenerator(s *State) *supplierGenerator {
	return &supplierGenerator{
		state: s, seed: seedOf("suppliers:" + s.Spec.Code),
		newSeen: map[string]struct{}{}, oldSeen: map[string]struct{}{}, names: map[string]struct{}{},
	}
}

// supplier generates supplier number i; call it for i = 0, 1, 2 … in order.
func (g *supplierGenerator) supplier(i int) Supplier {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	var s Supplier
	if r.IntN(100) < 35 {
		s = g.business(r)
	} else {
		s = g.company(r)
	}
	slug := strings.Join(asciiWords(strings.TrimSuffix(s.Name, " Sdn. Bhd.")), "")
	s.Email = slug + "@" + pick(r, personalDomains)
	s.Phone = g.landline(r)
	b := choose(r, banks)
	s.BankName, s.BankAccount, s.Status = b.Name, digits(r, b.Digits), "active"
	return s
}

// company is a Sdn. Bhd.: registered since 2019 it only has a new number; older ones carry
// the old number, the new one SSM gave them in 2019, or both as payment systems recorded them.
func (g *supplierGenerator) company(r *rand.Rand) Supplier {
	name := g.uniqueName(r, func() string {
		first := pick(r, supplierWords)
		if r.IntN(6) == 0 {
			first = g.state.Adjective
		}
		return fmt.Sprintf("%s %s %s Sdn. Bhd.", first, pick(r, supplierWords), pick(r, supplierTrades))
	})
	year := 1985 + r.IntN(40)
	s := Supplier{Name: name}
	form := r.IntN(10)
	if year >= 2019 || form >= 4 {
		s.RegNoNew = g.uniqueNew(r, year, ssmLocalCompany)
	}
	if year < 2019 && (form < 4 || form >= 6) {
		s.RegNoOld = g.uniqueOld(r, year)
	}
	return s
}

// business is a sole proprietorship or partnership; its old numbers do not follow the company
// pattern, so the supplier master keeps only the new one.
func (g *supplierGenerator) business(r *rand.Rand) Supplier {
	name := g.uniqueName(r, func() string {
		return fmt.Sprintf(pick(r, businessForms), pick(r, supplierWords), pick(r, supplierWords))
	})
	return Supplier{Name: name, RegNoNew: g.uniqueNew(r, 2000+r.IntN(25), ssmBusiness)}
}

func (g *supplierGenerator) uniqueName(r *rand.Rand, draw func() string) string {
	for {
		name := draw()
		if _, taken := g.names[name]; !taken && !repeatsWord(name) {
			g.names[name] = struct{}{}
			return name
		}
	}
}

// repeatsWord rejects names like "Maju Maju Enterprise".
func repeatsWord(name string) bool {
	words := strings.Fields(name)
	for i := 1; i < len(words); i++ {
		if words[i] == words[i-1] {
			return true
		}
	}
	return false
}

func (g *supplierGenerator) uniqueNew(r *rand.Rand, year int, entity string) string {
	for {
		n := fmt.Sprintf("%04d%s%06d", year, entity, 1+r.IntN(90_000))
		if _, taken := g.newSeen[n]; !taken {
			g.newSeen[n] = struct{}{}
			return n
		}
	}
}

// uniqueOld is an old company number as stored: digits and check letter without the dash.
func (g *supplierGenerator) uniqueOld(r *rand.Rand, year int) string {
	lo, hi := oldNumberRange(year)
	for {
		n := fmt.Sprintf("%d%c", lo+r.IntN(hi-lo), 'A'+rune(r.IntN(26)))
		if _, taken := g.oldSeen[n]; !taken {
			g.oldSeen[n] = struct{}{}
			return n
		}
	}
}

// oldNumberRange interpolates oldNumberAnchors for one year.
func oldNumberRange(year int) (lo, hi int) {
	at := func(y int) int {
		a := oldNumberAnchors
		if y <= a[0].year {
			return a[0].first
		}
		for i := 1; i < len(a); i++ {
			if y <= a[i].year {
				return a[i-1].first + (a[i].first-a[i-1].first)*(y-a[i-1].year)/(a[i].year-a[i-1].year)
			}
		}
		return a[len(a)-1].first
	}
	lo, hi = at(year), at(year+1)
	if hi <= lo {
		hi = lo + 1000
	}
	return max(lo, 1), hi
}

// landline is an office number in the state's area code: 03 numbers have eight digits after
// the prefix, the others seven.
func (g *supplierGenerator) landline(r *rand.Rand) string {
	if g.state.AreaCode == "03" {
		n := digits(r, 8)
		return "03-" + n[:4] + " " + n[4:]
	}
	n := digits(r, 7)
	return g.state.AreaCode + "-" + n[:3] + " " + n[3:]
}
