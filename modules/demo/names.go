package demo

import (
	"math/rand/v2"
	"strings"
)

// community is a naming tradition; each builds a full name the way it is written on a MyKad.
type community int

const (
	malay community = iota
	chinese
	indian
	sikh
	iban
	kadazan
	eurasian
)

// person is a generated name with the parts an email address is made from.
type person struct {
	Name  string
	Male  bool
	Given string // the given name(s), e.g. "Nurul Aina"
	// Family is what comes after the patronymic marker, or the surname.
	Family string
	// HomeState, when set, is where people of this community are mostly born (Sarawak for
	// Iban names, Sabah for Kadazan-Dusun ones).
	HomeState string
}

// Name pools: common given names and father's names combined at random. Names of public
// figures are left out on purpose so that no combination reads as a well-known person.
var (
	malayMale = []string{"Ahmad Faizal", "Mohd Hafiz", "Muhammad Syafiq", "Ahmad Zaki", "Khairul Anuar",
		"Mohd Azlan", "Azman", "Roslan", "Zulkifli", "Shahrul Nizam", "Mohd Ridzuan", "Amirul Hakim",
		"Faizal", "Hairul Azmi", "Kamarul Ariffin", "Ahmad Syahmi", "Mohd Firdaus", "Azizul Hakim",
		"Rosli", "Badrul Hisham", "Saiful Bahri", "Mohd Nazri", "Izzuddin", "Hafizuddin", "Muhammad Aiman",
		"Mohd Shahril", "Zainal Abidin", "Mohd Khairi", "Muhammad Danish", "Aidil Fitri", "Mohd Fadzli",
		"Nazrul Hisyam", "Muhammad Haziq", "Razif", "Syahrizal", "Mohd Azrul", "Fakhrul Razi", "Hasrul"}
	malayFemale = []string{"Nurul Aina", "Siti Nor Aisyah", "Nur Syafiqah", "Noraini", "Rosnah", "Zuraidah",
		"Siti Hajar", "Nor Azlina", "Farah Hanim", "Aisyah Humaira", "Haslinda", "Norhayati", "Salmah",
		"Fatimah", "Rohani", "Azlina", "Nur Atiqah", "Syazwani", "Nurul Huda", "Hasmah", "Zaharah",
		"Marlina", "Suhaila", "Intan Shafinaz", "Nor Hidayah", "Aina Sofea", "Noor Azura", "Siti Khadijah",
		"Nur Izzati", "Rabiatul Adawiyah", "Nurfarahin", "Hanis Zalikha", "Siti Mariam", "Wardah"}
	malayFather = []string{"Abdullah", "Ahmad", "Hassan", "Hussin", "Ibrahim", "Yusof", "Osman",
		"Abdul Rahman", "Abdul Latif", "Mohamed", "Salleh", "Ali", "Omar", "Jaafar", "Harun", "Zakaria",
		"Sulaiman", "Mahmud", "Abu Bakar", "Abdul Ghani", "Kassim", "Md Noor", "Ramli", "Daud", "Yaakob",
		"Hamzah", "Awang", "Mat Isa", "Razali", "Musa", "Idris", "Abdul Wahab", "Embong", "Rashid",
		"Mustafa", "Mokhtar", "Ismail", "Yahya", "Che Mat", "Deraman"}
	// Hereditary prefixes pass from father to child (Nik, Wan and Che are common in Kelantan
	// and Terengganu); Syed's daughters are Sharifah.
	malayPrefixes = []string{"Nik", "Wan", "Che", "Syed"}

	chineseSurname = []string{"Tan", "Lim", "Lee", "Ng", "Wong", "Chan", "Ong", "Goh", "Teh", "Chong",
		"Yap", "Low", "Chin", "Khoo", "Leong", "Foo", "Liew", "Chua", "Ho", "Loh", "Yeoh", "Cheah", "Lau",
		"Tay", "Koh", "Soo", "Ooi", "Kok", "Gan", "Siow"}
	chineseMale = []string{"Wei Ming", "Chee Keong", "Kok Leong", "Jun Hao", "Boon Hock", "Kah Wai",
		"Yong Sheng", "Chun Kit", "Zhi Hao", "Kian Seng", "Wai Kit", "Hong Wei", "Ming Jie", "Chee Wai",
		"Kim Huat", "Soon Aik", "Jia Le", "Eng Hooi"}
	chineseFemale = []string{"Mei Ling", "Siew Lan", "Pei Shan", "Hui Min", "Li Ying", "Xin Yi",
		"Wei Ling", "Siew Mei", "Jia Hui", "Poh Lin", "Yee Wen", "Shu Fen", "Bee Leng", "Ai Lin", "Sook Yee"}
	// Many Malaysian Chinese carry an English name before their Chinese one.
	englishMale   = []string{"Jason", "Kelvin", "Alvin", "Desmond", "Eric", "Vincent", "Daniel", "Marcus"}
	englishFemale = []string{"Michelle", "Jessica", "Vivian", "Grace", "Joanne", "Karen", "Melissa", "Rachel"}

	indianMale = []string{"Suresh", "Ramesh", "Kumar", "Ganesan", "Murugan", "Rajesh", "Saravanan",
		"Vijay", "Arun", "Prakash", "Thinesh", "Kalaiselvan", "Mahendran", "Sivakumar", "Devaraj", "Naveen",
		"Kishen", "Logeswaran"}
	indianFemale = []string{"Kavitha", "Priya", "Devi", "Malar", "Shanti", "Revathi", "Thilagavathy",
		"Sangeetha", "Vanitha", "Puspa", "Nirmala", "Kogila", "Deepa", "Yamuna", "Tamilselvi"}
	indianFather = []string{"Ramasamy", "Subramaniam", "Muniandy", "Krishnan", "Arumugam", "Raju", "Velu",
		"Govindasamy", "Perumal", "Maniam", "Nadarajah", "Rajendran", "Sinnathamby", "Palaniappan",
		"Karuppiah", "Letchumanan"}

	sikhMale   = []string{"Harjit", "Gurpreet", "Jasvinder", "Manjit", "Kuldip", "Amarjit", "Ravinder", "Sukhdev"}
	sikhFemale = []string{"Manpreet", "Harvinder", "Jasmeet", "Gurmeet", "Rajinder", "Simran"}
	sikhFather = []string{"Kartar", "Gurdial", "Balwant", "Darshan", "Mohinder", "Ajit", "Jagjit"}

	ibanMale   = []string{"Jimbai", "Ungau", "Sait", "Robert", "Michael", "Nyandang", "Jerry", "Lawai"}
	ibanFemale = []string{"Rinda", "Mary", "Jessica", "Lily", "Sendi", "Rosalind", "Nancy"}
	ibanFather = []string{"Ugak", "Mawang", "Empaling", "Lasah", "Jabu", "Ngelai", "Bujang", "Entalai"}

	kadazanMale    = []string{"Jeffrey", "Johnny", "Raymond", "Gilbert", "Alexander", "Benedict", "Justin"}
	kadazanFemale  = []string{"Juliana", "Caroline", "Veronica", "Agnes", "Rosemary", "Bernadette"}
	kadazanSurname = []string{"Gimbang", "Majimbun", "Lajingan", "Sipaun", "Gontusan", "Sumbing", "Ansibin"}

	eurasianMale    = []string{"Daniel", "Mark", "Anthony", "Patrick", "Francis", "Gerard"}
	eurasianFemale  = []string{"Sheila", "Christine", "Maria", "Theresa", "Monica", "Angela"}
	eurasianSurname = []string{"de Costa", "Fernandez", "de Silva", "Pereira", "de Souza", "Rodrigues", "Sequerah"}
)

func pick[T any](r *rand.Rand, items []T) T { return items[r.IntN(len(items))] }

// newPerson draws a name of community c; male chooses the gender.
func newPerson(r *rand.Rand, c community, male bool) person {
	switch c {
	case chinese:
		return chinesePerson(r, male)
	case indian:
		return patronymic(r, male, indianMale, indianFemale, indianFather, "a/l", "a/p", "")
	case sikh:
		return sikhPerson(r, male)
	case iban:
		return patronymic(r, male, ibanMale, ibanFemale, ibanFather, "anak", "anak", "Sarawak")
	case kadazan:
		return surnamed(r, male, kadazanMale, kadazanFemale, kadazanSurname, "Sabah")
	case eurasian:
		return surnamed(r, male, eurasianMale, eurasianFemale, eurasianSurname, "")
	default:
		return malayPerson(r, male)
	}
}

func malayPerson(r *rand.Rand, male bool) person {
	given, marker := pick(r, malayFemale), "binti"
	if male {
		given, marker = pick(r, malayMale), "bin"
	}
	father := pick(r, malayFather)
	if r.IntN(8) == 0 {
		prefix := pick(r, malayPrefixes)
		childPrefix := prefix
		if prefix == "Syed" && !male {
			childPrefix = "Sharifah"
		}
		given, father = childPrefix+" "+given, prefix+" "+father
	}
	return person{Name: given + " " + marker + " " + father, Male: male, Given: given, Family: father}
}

func chinesePerson(r *rand.Rand, male bool) person {
	surname := pick(r, chineseSurname)
	given, english := pick(r, chineseFemale), englishFemale
	if male {
		given, english = pick(r, chineseMale), englishMale
	}
	name := surname + " " + given
	if r.IntN(5) == 0 {
		first := pick(r, english)
		return person{Name: first + " " + name, Male: male, Given: first, Family: surname}
	}
	return person{Name: name, Male: male, Given: given, Family: surname}
}

func sikhPerson(r *rand.Rand, male bool) person {
	father := pick(r, sikhFather) + " Singh"
	if male {
		given := pick(r, sikhMale)
		return person{Name: given + " Singh a/l " + father, Male: true, Given: given, Family: father}
	}
	given := pick(r, sikhFemale)
	return person{Name: given + " Kaur a/p " + father, Male: false, Given: given, Family: father}
}

// patronymic builds "<given> <marker> <father>" names (a/l, a/p, anak).
func patronymic(r *rand.Rand, male bool, maleNames, femaleNames, fathers []string, maleMarker, femaleMarker, home string) person {
	given, marker := pick(r, femaleNames), femaleMarker
	if male {
		given, marker = pick(r, maleNames), maleMarker
	}
	father := pick(r, fathers)
	return person{Name: given + " " + marker + " " + father, Male: male, Given: given, Family: father, HomeState: home}
}

func surnamed(r *rand.Rand, male bool, maleNames, femaleNames, surnames []string, home string) person {
	given := pick(r, femaleNames)
	if male {
		given = pick(r, maleNames)
	}
	surname := pick(r, surnames)
	return person{Name: given + " " + surname, Male: male, Given: given, Family: surname, HomeState: home}
}

// mailbox turns a name into the local part of an address the way staff addresses are
// usually made: "nurulaina", "nurul.aina" or "aina.hassan".
func mailbox(r *rand.Rand, p person) string {
	given := asciiWords(p.Given)
	family := asciiWords(p.Family)
	switch r.IntN(3) {
	case 0:
		return strings.Join(given, "")
	case 1:
		return strings.Join(given, ".")
	default:
		return given[len(given)-1] + "." + strings.Join(family, "")
	}
}

// asciiWords lower-cases s and keeps its words of letters a–z only.
func asciiWords(s string) []string {
	var words []string
	for _, w := range strings.Fields(strings.ToLower(s)) {
		w = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, w)
		if w != "" {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return []string{"staf"}
	}
	return words
}
