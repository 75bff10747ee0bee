package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"
)

// ReferenceDate anchors every age. It is fixed rather than "today" so that a re-run next
// year generates exactly the same people (and changes no row).
var ReferenceDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// MaxAge keeps everyone below the retirement age of 60 on ReferenceDate with a few years to
// spare, so the staff stay plausible for a while after it.
const MaxAge = 57

// Employee is one row of the payroll master (table employees) plus what generated it.
type Employee struct {
	ICNo, SalaryNo, Name, Email, Phone string
	DepartmentCode, PTJCode            string
	Position, Grade                    string
	BankName, BankAccount              string
	KWSPNo, TaxNo, Status              string
	KWAPNo, PERKESONo                  string // Borang EC part A: pension fund and social security
	Children                           int    // children qualifying for tax relief
	BirthDate                          time.Time
	Male                               bool
}

// weighted is an item with its relative frequency.
type weighted[T any] struct {
	Item   T
	Weight int
}

func choose[T any](r *rand.Rand, items []weighted[T]) T {
	total := 0
	for _, it := range items {
		total += it.Weight
	}
	n := r.IntN(total)
	for _, it := range items {
		if n < it.Weight {
			return it.Item
		}
		n -= it.Weight
	}
	return items[len(items)-1].Item
}

// bank is a Malaysian bank with the length of its account numbers.
type bank struct {
	Name   string
	Digits int
}

// banks weighs the banks civil servants are commonly paid into.
var banks = []weighted[bank]{
	{bank{"Malayan Banking Berhad", 12}, 30},
	{bank{"Bank Islam Malaysia Berhad", 14}, 15},
	{bank{"CIMB Bank Berhad", 10}, 12},
	{bank{"Bank Kerjasama Rakyat Malaysia Berhad", 12}, 12},
	{bank{"RHB Bank Berhad", 14}, 8},
	{bank{"Public Bank Berhad", 10}, 8},
	{bank{"Bank Simpanan Nasional", 16}, 5},
	{bank{"AmBank (M) Berhad", 13}, 3},
	{bank{"Hong Leong Bank Berhad", 11}, 3},
	{bank{"Affin Bank Berhad", 12}, 2},
	{bank{"Bank Muamalat Malaysia Berhad", 14}, 2},
}

// personalDomains are the reserved example domains (RFC 2606): personal addresses look real
// enough for the demo, but a demo pointed at a real SMTP server can never mail a stranger.
var personalDomains = []string{"example.com", "example.net", "example.org"}

var mobilePrefixes = []string{"012", "013", "014", "016", "017", "019", "011", "018"}

// staffGenerator makes the staff of one state. Row i depends only on the state, i and the
// rows before it (through the uniqueness sets), so a run with more staff extends a smaller
// one instead of replacing it, and every run with the same arguments produces the same rows.
// Memory grows with two 8-byte keys per row, never with the rows themselves.
type staffGenerator struct {
	state    *State
	seed     uint64
	depts    []Department
	deptPick []weighted[int]
	// positions[i] are the posts of depts[i]: its own schemes plus the common ones.
	positions [][]weighted[Position]
	icSeen    map[uint64]struct{}
	mailSeen  map[uint64]struct{}
}

func newStaffGenerator(s *State, depts []Department) *staffGenerator {
	g := &staffGenerator{
		state: s, seed: seedOf("staff:" + s.Spec.Code), depts: depts,
		icSeen: map[uint64]struct{}{}, mailSeen: map[uint64]struct{}{},
	}
	for i, d := range depts {
		g.deptPick = append(g.deptPick, weighted[int]{i, d.weight})
		g.positions = append(g.positions, append(append([]weighted[Position]{}, d.positions...), commonPositions...))
	}
	return g
}

// seedOf turns a label into an RNG seed.
func seedOf(label string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("speks-demo:" + label))
	return h.Sum64()
}

// employee generates staff member number i (0-based); call it for i = 0, 1, 2 … in order.
func (g *staffGenerator) employee(i int) Employee {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	d := choose(r, g.deptPick)
	dept := &g.depts[d]
	ptj := pick(r, dept.PTJs)
	position := choose(r, g.positions[d])
	// The state civil service employs slightly more women than men.
	p := newPerson(r, choose(r, g.state.Communities), r.IntN(100) < 46)
	birth := birthDate(r, position.MinAge)
	b := choose(r, banks)
	e := Employee{
		ICNo:     g.uniqueIC(r, birth, p),
		SalaryNo: salaryNo(g.state, i),
		Name:     p.Name, Male: p.Male, BirthDate: birth,
		Email:          g.email(r, p, dept),
		Phone:          mobile(r),
		DepartmentCode: dept.Code, PTJCode: ptj.Code,
		Position: position.Title, Grade: position.Grade,
		BankName: b.Name, BankAccount: digits(r, b.Digits),
		Status: "active",
	}
	// Pensionable staff have no EPF (KWSP) account; contract staff and those who opted for
	// EPF do.
	if r.IntN(3) == 0 {
		e.KWSPNo = strconv.Itoa(10_000_000 + r.IntN(20_000_000))
	}
	if r.IntN(10) != 0 {
		e.TaxNo = fmt.Sprintf("IG%010d0", 1_000_000_000+r.Int64N(9_000_000_000))
	}
	// Part A of Borang EC: a pensionable officer's pension is with KWAP (Kumpulan Wang
	// Persaraan), a contract officer's savings with KWSP, who alone pays PERKESO (whose number
	// is the person's IC number). Drawn last, so the earlier draws stay as they were.
	if e.KWSPNo == "" {
		e.KWAPNo = fmt.Sprintf("%08d", 10_000_000+r.IntN(80_000_000))
	} else {
		e.PERKESONo = e.ICNo
	}
	e.Children = pick(r, []int{0, 0, 1, 2, 2, 3, 3, 4, 5})
	return e
}

// birthDate is a day on which someone aged between minAge and MaxAge on ReferenceDate was
// born, biased towards the middle of the range as a workforce is.
func birthDate(r *rand.Rand, minAge int) time.Time {
	oldest := ReferenceDate.AddDate(-MaxAge-1, 0, 1)
	youngest := ReferenceDate.AddDate(-minAge, 0, 0)
	span := int(youngest.Sub(oldest).Hours() / 24)
	offset := (r.IntN(span+1) + r.IntN(span+1)) / 2
	return oldest.AddDate(0, 0, offset)
}

// uniqueIC draws a MyKad number YYMMDD-PB-NNNG for someone born on birth: PB a real
// place-of-birth code, G odd for men and even for women. Numbers of people born before 2000
// start their serial with 5–7, later ones with 0, as JPN issues them.
func (g *staffGenerator) uniqueIC(r *rand.Rand, birth time.Time, p person) string {
	pb := g.birthplace(r, p)
	for {
		first := 0
		if birth.Year() < 2000 {
			first = 5 + r.IntN(3)
		}
		gender := 2 * r.IntN(5)
		if p.Male {
			gender++
		}
		ic := fmt.Sprintf("%s%s%d%02d%d", birth.Format("060102"), pb, first, r.IntN(100), gender)
		key, _ := strconv.ParseUint(ic, 10, 64)
		if _, taken := g.icSeen[key]; !taken {
			g.icSeen[key] = struct{}{}
			return ic
		}
	}
}

// birthplace: Iban and Kadazan-Dusun names are mostly born in Sarawak and Sabah; everyone
// else mostly in the state they work for, the rest anywhere in Malaysia.
func (g *staffGenerator) birthplace(r *rand.Rand, p person) string {
	codes := g.state.BirthplaceCodes
	switch {
	case p.HomeState != "" && r.IntN(4) != 0:
		codes = BirthplaceCodes[p.HomeState]
	case r.IntN(10) >= 7:
		codes = BirthplaceCodes[pick(r, stateOrder)]
	}
	// The first code of a state is by far the most common on cards.
	if r.IntN(10) < 6 {
		return codes[0]
	}
	return pick(r, codes)
}

// salaryNo is the payroll number: the state's code and a 7-digit number. 7919 is prime to
// 10⁷, so i → i·7919 mod 10⁷ is a bijection: unique and not visibly sequential.
func salaryNo(s *State, i int) string {
	return fmt.Sprintf("%s%07d", s.BirthplaceCodes[0], (uint64(i)*7919+104729)%10_000_000)
}

// email: in a state that only accepts official mail every address is on its domain; elsewhere
// some use a department subdomain or a personal address, and a few payroll records have none
// yet (the case the seeds send to the Unit Gaji).
func (g *staffGenerator) email(r *rand.Rand, p person, dept *Department) string {
	domain := g.state.OfficialDomain
	if !g.state.OnlyOfficialEmail {
		switch n := r.IntN(100); {
		case n < 2:
			return ""
		case n < 20:
			domain = pick(r, personalDomains)
		case n < 40 && dept.mailLabel != "":
			domain = dept.mailLabel + "." + domain
		}
	}
	local := mailbox(r, p)
	addr := local + "@" + domain
	for n := 2; ; n++ {
		key := seedOf(addr)
		if _, taken := g.mailSeen[key]; !taken {
			g.mailSeen[key] = struct{}{}
			return addr
		}
		addr = local + strconv.Itoa(n) + "@" + domain
	}
}

// mobile is a Malaysian mobile number as staff write it (012-3456789); a few have none.
func mobile(r *rand.Rand) string {
	if r.IntN(25) == 0 {
		return ""
	}
	prefix := pick(r, mobilePrefixes)
	n := 7
	if prefix == "011" {
		n = 8
	}
	return prefix + "-" + digits(r, n)
}

// digits is an n-digit number not starting with 0.
func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	b[0] = byte('1' + r.IntN(9))
	for i := 1; i < n; i++ {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}
