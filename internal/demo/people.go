package demo

// The people and organisations of the demo co-op. The organisations are
// among those that supported Citizen Network from the start; the people
// are invented, from many places, and none of them is a real person.

// person is someone with an account.
type person struct {
	name    string
	country string
	city    string
	// work is what they do for equal citizenship, for the statement of
	// their application.
	work string
}

// organisation is a member organisation and the person who represents it.
type organisation struct {
	name    string
	country string
	city    string
	number  string
	work    string
	rep     person
}

// The board: five founding members. The first chairs it.
var boardPeople = []person{
	{"Aino Mäkinen", "FI", "Helsinki", "self-directed support"},
	{"Rohan Mehta", "IN", "Pune", "people-based development"},
	{"Mereana Walker", "NZ", "Auckland", "family leadership"},
	{"Fiona MacLeod", "GB", "Glasgow", "support brokerage"},
	{"Kwabena Asante", "GH", "Kumasi", "peer support"},
}

var (
	auditorPerson = person{"Helena Lindqvist", "FI", "Espoo", ""}
	adminPerson   = person{"Oskari Virtanen", "FI", "Tampere", ""}
)

// individuals are admitted over the years in this order. The first is the
// member whose sign-in Seed returns.
var individuals = []person{
	{"Amara Nwosu", "NG", "Enugu", "self-advocacy"},
	{"Sofía Hernández", "MX", "Guadalajara", "inclusive education"},
	{"Tomasz Kowalczyk", "PL", "Kraków", "deinstitutionalisation"},
	{"Yuki Tanaka", "JP", "Sendai", "person-centred planning"},
	{"Leilani Kahale", "US", "Hilo", "supported employment"},
	{"Kaarel Tamm", "EE", "Tartu", "neighbourhood democracy"},
	{"Fatima Zahra El Amrani", "MA", "Rabat", "women-centred work"},
	{"Liam O'Connor", "IE", "Cork", "community social work"},
	{"Ingrid Solheim", "NO", "Bergen", "individual service funds"},
	{"Mthunzi Ndlovu", "ZA", "Durban", "peer support"},
	{"Camille Dubois", "FR", "Lyon", "quality checking"},
	{"Aarav Sharma", "IN", "Jaipur", "basic income"},
	{"Min-jun Park", "KR", "Busan", "supported employment"},
	{"Matteo Rossi", "IT", "Bologna", "local area coordination"},
	{"Ana Lúcia Ferreira", "BR", "Recife", "family leadership"},
	{"Jorge Quispe", "PE", "Cusco", "people-based development"},
	{"Hana Nováková", "CZ", "Brno", "deinstitutionalisation"},
	{"Emre Yılmaz", "TR", "İzmir", "inclusive education"},
	{"Siobhán Kelly", "IE", "Galway", "self-directed support"},
	{"Tama Ngata", "NZ", "Gisborne", "constitutional reform"},
	{"Isabella Martínez", "AR", "Rosario", "person-centred planning"},
	{"Noah Williams", "AU", "Perth", "individual service funds"},
	{"Grace Achieng", "KE", "Kisumu", "women-centred work"},
	{"Oluwaseun Adebayo", "NG", "Ibadan", "basic income"},
	{"Lena Schmidt", "DE", "Leipzig", "support brokerage"},
	{"Pekka Korhonen", "FI", "Oulu", "local area coordination"},
	{"Saara Heikkinen", "FI", "Jyväskylä", "peer support"},
	{"Rania Haddad", "JO", "Amman", "self-advocacy"},
	{"Nguyen Thi Lan", "VN", "Hue", "community social work"},
	{"Aleksandra Petrović", "RS", "Novi Sad", "deinstitutionalisation"},
	{"Eero Laine", "FI", "Turku", "neighbourhood democracy"},
	{"Chidi Okeke", "NG", "Abuja", "supported employment"},
	{"Bridget Murphy", "GB", "Dundee", "self-directed support"},
	{"Ravi Krishnan", "IN", "Chennai", "person-centred planning"},
	{"Maja Lindberg", "SE", "Malmö", "inclusive education"},
	{"Kofi Mensah", "GH", "Accra", "basic income"},
	{"Lucía Quispe", "BO", "La Paz", "family leadership"},
}

// The individuals who leave and are suspended, by name.
const (
	resignedName  = "Liam O'Connor"
	suspendedName = "Matteo Rossi"
)

var organisations = []organisation{
	{"Citizen Network Research", "GB", "Sheffield", "", "research and publishing on citizenship and welfare",
		person{"Olivia Hughes", "GB", "Sheffield", ""}},
	{"Avivo", "AU", "Perth", "ABN 54 000 000 001", "individualised support",
		person{"Sarah Thompson", "AU", "Perth", ""}},
	{"Canadian Institute for Inclusion and Citizenship", "CA", "Vancouver", "", "research on self-determination and individualized funding",
		person{"Daniel Tremblay", "CA", "Vancouver", ""}},
	{"CCS Disability Action", "NZ", "Wellington", "", "disability rights and community inclusion",
		person{"Aroha Parata", "NZ", "Wellington", ""}},
	{"Choice Support", "GB", "London", "", "personalised support",
		person{"Priya Patel", "GB", "London", ""}},
	{"Inclusion North", "GB", "Leeds", "", "inclusion of people with learning disabilities",
		person{"Hannah Brooks", "GB", "Leeds", ""}},
	{"In Control Scotland", "GB", "Glasgow", "SC000001", "self-directed support",
		person{"Euan Fraser", "GB", "Glasgow", ""}},
	{"Imagine Better", "NZ", "Hamilton", "", "family leadership",
		person{"Ruth Hēnare", "NZ", "Hamilton", ""}},
	{"Life Unlimited", "NZ", "Hamilton", "", "disability information and advocacy",
		person{"Josh Taylor", "NZ", "Hamilton", ""}},
	{"Manavodaya", "IN", "Lucknow", "", "people-based development",
		person{"Anjali Verma", "IN", "Lucknow", ""}},
	{"Manawanui", "NZ", "Auckland", "", "self-directed support",
		person{"Wiremu Tāne", "NZ", "Auckland", ""}},
	{"My Place", "AU", "Perth", "", "individualised living",
		person{"Chloe Nguyen", "AU", "Perth", ""}},
	{"VID Specialized University", "NO", "Oslo", "", "research and education on diaconia and social work",
		person{"Silje Haugen", "NO", "Oslo", ""}},
	{"Western Australia Individualised Services", "AU", "Perth", "", "individualised services",
		person{"Ben O'Brien", "AU", "Perth", ""}},
	{"UBI Lab Sheffield", "GB", "Sheffield", "", "basic income",
		person{"Aisha Rahman", "GB", "Sheffield", ""}},
	{"Learning Disability England", "GB", "Birmingham", "", "self-advocacy",
		person{"Tom Baker", "GB", "Birmingham", ""}},
	{"Synerga", "FI", "Helsinki", "", "local area coordination",
		person{"Juha Nieminen", "FI", "Helsinki", ""}},
	{"Neighbourhood Democracy Movement", "GB", "Sheffield", "", "neighbourhood democracy",
		person{"Callum Reid", "GB", "Sheffield", ""}},
}

// The organisation whose representative changes, and who takes over.
var (
	newRepresentativeOf = "In Control Scotland"
	newRepresentative   = person{"Morag Campbell", "GB", "Edinburgh", ""}
)

// Applications the board has not decided yet.
var (
	applicants = []person{
		{"Zanele Mokoena", "ZA", "Johannesburg", "supported employment"},
		{"Arjun Nair", "IN", "Kochi", "inclusive education"},
		{"Elif Demir", "TR", "Ankara", "women-centred work"},
	}
	applicantOrganisation = organisation{"Chronic Illness Inclusion", "GB", "Bristol", "", "the inclusion of people with energy-limiting chronic illness",
		person{"Megan Davies", "GB", "Bristol", ""}}
)
