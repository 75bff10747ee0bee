package demo

import "fmt"

// Department is a state department (jabatan) with its PTJs (responsibility centres).
type Department struct {
	Code string
	Name string
	PTJs []PTJ
	// weight is the department's share of the state's staff.
	weight int
	// positions are the schemes of service it employs besides the common administrative ones.
	positions []weighted[Position]
	// mailLabel, when set, gives the department its own mail subdomain (jkr.pahang.gov.my).
	mailLabel string
}

// PTJ is a Pusat Tanggungjawab: the cost centre an employee is paid from.
type PTJ struct {
	Code           string
	DepartmentCode string
	Name           string
}

// Position is a post in a scheme of service with its grade (gred), e.g. Penolong Akauntan W29.
type Position struct {
	Title string
	Grade string
	// MinAge is the youngest a holder plausibly is: entry qualification plus, for the senior
	// grades, the years of service a promotion takes.
	MinAge int
}

func pos(title, grade string, minAge int) Position {
	return Position{Title: title, Grade: grade, MinAge: minAge}
}

// commonPositions are posts every department has: administration, finance, IT, drivers.
var commonPositions = []weighted[Position]{
	{pos("Pembantu Operasi", "N11", 19), 8},
	{pos("Pembantu Tadbir (Perkeranian/Operasi)", "N19", 19), 18},
	{pos("Pembantu Tadbir (Perkeranian/Operasi) Kanan", "N22", 28), 5},
	{pos("Penolong Pegawai Tadbir", "N29", 22), 6},
	{pos("Setiausaha Pejabat", "N29", 22), 2},
	{pos("Pegawai Tadbir", "N41", 24), 3},
	{pos("Pembantu Akauntan", "W19", 19), 6},
	{pos("Penolong Akauntan", "W29", 22), 3},
	{pos("Juruteknik Komputer", "FT19", 19), 1},
	{pos("Pemandu Kenderaan", "H11", 21), 4},
}

// departmentTemplate describes a department every state has; {state} and the state's own
// words are filled in by organisationOf.
type departmentTemplate struct {
	code      string
	name      func(s *State) string
	ptjs      func(s *State) []string
	weight    int
	mailLabel string
	positions []weighted[Position]
}

func named(format string) func(s *State) string {
	return func(s *State) string { return fmt.Sprintf(format, s.Adjective) }
}

// withDistricts gives a department its head office and an office in each of the state's
// first few districts.
func withDistricts(head, office string, n int) func(s *State) []string {
	return func(s *State) []string {
		names := []string{head}
		for i, d := range s.Districts {
			if i == n {
				break
			}
			names = append(names, fmt.Sprintf("%s %s %s", office, s.DistrictWord, d))
		}
		return names
	}
}

func fixed(names ...string) func(s *State) []string {
	return func(*State) []string { return names }
}

var departmentTemplates = []departmentTemplate{
	{
		code: "01", name: named("Pejabat Setiausaha Kerajaan Negeri %s"), weight: 12, mailLabel: "",
		ptjs: fixed("Bahagian Khidmat Pengurusan", "Bahagian Pengurusan Sumber Manusia",
			"Bahagian Pengurusan Teknologi Maklumat", "Unit Perancang Ekonomi Negeri"),
		positions: []weighted[Position]{
			{pos("Pegawai Tadbir dan Diplomatik", "M41", 24), 4},
			{pos("Pegawai Tadbir dan Diplomatik", "M44", 31), 3},
			{pos("Pegawai Tadbir dan Diplomatik", "M48", 37), 2},
			{pos("Pegawai Tadbir dan Diplomatik", "M52", 43), 1},
			{pos("Pegawai Teknologi Maklumat", "F41", 24), 4},
			{pos("Pegawai Teknologi Maklumat", "F44", 31), 2},
			{pos("Penolong Pegawai Teknologi Maklumat", "F29", 22), 5},
			{pos("Pegawai Ekonomi", "E41", 24), 2},
		},
	},
	{
		code: "02", name: named("Perbendaharaan Negeri %s"), weight: 7, mailLabel: "",
		ptjs: fixed("Ibu Pejabat Perbendaharaan", "Bahagian Akaun", "Bahagian Gaji dan Pencen", "Bahagian Hasil"),
		positions: []weighted[Position]{
			{pos("Akauntan", "WA41", 24), 4},
			{pos("Akauntan", "WA44", 31), 2},
			{pos("Akauntan", "WA48", 37), 1},
			{pos("Penolong Akauntan", "W29", 22), 8},
			{pos("Pembantu Akauntan", "W19", 19), 12},
			{pos("Pegawai Teknologi Maklumat", "F41", 24), 2},
			{pos("Penolong Pegawai Teknologi Maklumat", "F29", 22), 2},
		},
	},
	{
		code: "03", name: named("Jabatan Kerja Raya Negeri %s"), weight: 14, mailLabel: "jkr",
		ptjs: withDistricts("Ibu Pejabat JKR", "Pejabat JKR", 4),
		positions: []weighted[Position]{
			{pos("Jurutera Awam", "J41", 24), 6},
			{pos("Jurutera Awam", "J44", 31), 3},
			{pos("Jurutera Awam", "J48", 37), 1},
			{pos("Jurutera Elektrik", "J41", 24), 2},
			{pos("Penolong Jurutera", "JA29", 22), 10},
			{pos("Juruteknik", "J19", 19), 14},
			{pos("Pembantu Awam", "H11", 19), 10},
		},
	},
	{
		code: "04", name: named("Jabatan Pertanian Negeri %s"), weight: 10, mailLabel: "pertanian",
		ptjs: withDistricts("Ibu Pejabat Pertanian", "Pejabat Pertanian", 4),
		positions: []weighted[Position]{
			{pos("Pegawai Pertanian", "G41", 24), 5},
			{pos("Pegawai Pertanian", "G44", 31), 2},
			{pos("Penolong Pegawai Pertanian", "G29", 22), 10},
			{pos("Pembantu Pertanian", "G19", 19), 16},
		},
	},
	{
		code: "05", name: named("Jabatan Pengairan dan Saliran Negeri %s"), weight: 6, mailLabel: "jps",
		ptjs: withDistricts("Ibu Pejabat JPS", "Pejabat JPS", 3),
		positions: []weighted[Position]{
			{pos("Jurutera Awam", "J41", 24), 5},
			{pos("Jurutera Awam", "J44", 31), 2},
			{pos("Penolong Jurutera", "JA29", 22), 8},
			{pos("Juruteknik", "J19", 19), 10},
		},
	},
	{
		code: "06", name: named("Pejabat Tanah dan Galian Negeri %s"), weight: 6, mailLabel: "ptg",
		ptjs: fixed("Ibu Pejabat PTG", "Bahagian Pendaftaran Hakmilik", "Bahagian Penguatkuasaan"),
		positions: []weighted[Position]{
			{pos("Juruukur Tanah", "J41", 24), 2},
			{pos("Penolong Pegawai Ukur", "JA29", 22), 4},
			{pos("Penolong Pegawai Tadbir", "N29", 22), 6},
			{pos("Pegawai Tadbir dan Diplomatik", "M44", 31), 1},
		},
	},
	{
		code: "07", name: named("Jabatan Perhutanan Negeri %s"), weight: 6, mailLabel: "perhutanan",
		ptjs: withDistricts("Ibu Pejabat Perhutanan", "Pejabat Hutan", 3),
		positions: []weighted[Position]{
			{pos("Pegawai Hutan", "G41", 24), 4},
			{pos("Penolong Pegawai Hutan", "G29", 22), 8},
			{pos("Renjer Hutan", "G19", 19), 10},
			{pos("Pengawas Hutan", "G11", 19), 8},
		},
	},
	{
		code: "08", name: func(s *State) string { return s.ReligiousDepartment }, weight: 14, mailLabel: "jai",
		ptjs: withDistricts("Ibu Pejabat", "Pejabat Agama Islam", 4),
		positions: []weighted[Position]{
			{pos("Pegawai Hal Ehwal Islam", "S41", 24), 5},
			{pos("Pegawai Hal Ehwal Islam", "S44", 31), 2},
			{pos("Penolong Pegawai Hal Ehwal Islam", "S29", 22), 8},
			{pos("Pegawai Perkhidmatan Pendidikan", "DG41", 24), 8},
			{pos("Pegawai Perkhidmatan Pendidikan", "DG44", 31), 5},
			{pos("Pegawai Perkhidmatan Pendidikan", "DG48", 37), 1},
		},
	},
	{
		code: "09", name: named("Jabatan Perancangan Bandar dan Desa Negeri %s"), weight: 3, mailLabel: "jpbd",
		ptjs: fixed("Ibu Pejabat PLANMalaysia"),
		positions: []weighted[Position]{
			{pos("Perancang Bandar dan Desa", "J41", 24), 4},
			{pos("Penolong Pegawai Perancang Bandar dan Desa", "JA29", 22), 5},
		},
	},
	{
		code: "10", name: named("Jabatan Mufti Negeri %s"), weight: 2, mailLabel: "mufti",
		ptjs: fixed("Pejabat Mufti"),
		positions: []weighted[Position]{
			{pos("Pegawai Hal Ehwal Islam", "S41", 24), 4},
			{pos("Pegawai Hal Ehwal Islam", "S48", 37), 1},
		},
	},
}

// districtOfficePositions staff each district and land office.
var districtOfficePositions = []weighted[Position]{
	{pos("Pegawai Tadbir dan Diplomatik", "M41", 24), 1},
	{pos("Penolong Pegawai Tadbir", "N29", 22), 4},
	{pos("Penolong Pegawai Tanah", "N29", 22), 3},
	{pos("Pembantu Tadbir Tanah", "N19", 19), 6},
}

// organisationOf builds a state's departments: the common ones, then one land and district
// office per district, each its own department (the district officer is its head).
func organisationOf(s *State) []Department {
	var depts []Department
	for _, t := range departmentTemplates {
		d := Department{Code: t.code, Name: t.name(s), weight: t.weight, mailLabel: t.mailLabel, positions: t.positions}
		for i, name := range t.ptjs(s) {
			d.PTJs = append(d.PTJs, PTJ{Code: ptjCode(d.Code, i+1), DepartmentCode: d.Code, Name: name})
		}
		depts = append(depts, d)
	}
	for i, district := range s.Districts {
		code := fmt.Sprintf("%02d", 21+i)
		name := s.LandOffice + " " + district
		depts = append(depts, Department{
			Code: code, Name: name, weight: 3, positions: districtOfficePositions,
			PTJs: []PTJ{{Code: ptjCode(code, 1), DepartmentCode: code, Name: name}},
		})
	}
	return depts
}

// ptjCode is an 8-digit PTJ code: department, PTJ number, then the four digits SPEKS keeps
// for sub-units.
func ptjCode(department string, n int) string {
	return fmt.Sprintf("%s%02d0000", department, n)
}
