package demo

// Region indexes into the per-region tables below.
const (
	rUS = iota
	rDE
	rCN
)

// shopTemplate is one shop of the chain; the first two are used for small chains.
type shopTemplate struct {
	name, region, currency string
	offset                 int64 // seconds east of UTC; fixed, DST is ignored (hours stay plausible)
	r                      int
	weight                 int // share of customers
}

var shopTemplates = []shopTemplate{
	{"Spoke & Chain Portland", "US", "USD", -8 * 3600, rUS, 45},
	{"Kettenblatt Berlin", "DE", "EUR", 1 * 3600, rDE, 35},
	{"飞轮单车 上海", "CN", "CNY", 8 * 3600, rCN, 20},
}

// Latin names. Diacritics are deliberate: they exercise search, sorting and transliteration.
var (
	usFirst = []string{
		"James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella",
		"Lucas", "Mia", "Logan", "Harper", "Elijah", "Amelia", "Aiden", "Evelyn", "Jackson", "Abigail",
		"Carter", "Emily", "Daniel", "Ella", "Matthew", "Madison", "Henry", "Scarlett", "Owen", "Grace",
		"Wyatt", "Chloe", "Caleb", "Lily", "Nathan", "Hannah", "Ryan", "Nora", "Dylan", "Riley",
		"Jordan", "Taylor", "Marcus", "Keisha", "Andre", "Priya", "Arjun", "Hiroshi", "Yuki", "Diego",
		"Sofia", "Mateo", "Camila", "Kwame", "Amara", "Connor", "Megan", "Tyler", "Brianna", "Sean",
		"José", "Zoë", "Renée", "Chloé", "André", "Björn", "Søren", "Inés", "Noémie", "Raúl",
		"Siobhán", "Željko", "François", "Dagný", "Maëlle",
	}
	usLast = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
		"Kim", "Patel", "Chen", "Okafor", "Johansson", "Larsen", "Yamamoto", "Novak", "Kowalczyk", "Murphy",
		"Müller", "Ødegaard", "Núñez", "Peña", "Báez", "Søndergaard", "Lefèvre", "Côté", "Gómez", "Šimić",
	}
	deFirst = []string{
		"Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Elias", "Noah", "Ben",
		"Emil", "Anton", "Jürgen", "Jörg", "Günter", "Björn", "Sören", "Uwe", "Dieter", "Matthias",
		"Stefan", "Tobias", "Florian", "Sebastian", "Emma", "Mia", "Hannah", "Lena", "Lea", "Marie",
		"Sophie", "Lina", "Clara", "Ida", "Käthe", "Jördis", "Mareike", "Anja", "Katrin", "Sabine",
		"Ute", "Birgit", "Annegret", "Lisa", "Julia", "Laura", "Ayşe", "Mehmet", "Zeynep", "Emre",
		"Agnieszka", "Piotr", "Malte", "Henrike", "Ole", "Frauke", "Thorsten", "Gülşen", "Bärbel", "Jan",
	}
	deLast = []string{
		"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
		"Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
		"Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
		"Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
		"Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel",
		"Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann",
		"Franke", "Albrecht", "Böhm", "Groß", "Yılmaz", "Kaya", "Öztürk", "Nowak", "Kowalski", "Jäger",
	}
	// English names Shanghai customers often use alongside a Chinese family name.
	cnEnglish = []string{
		"Kevin", "Amy", "Jason", "Vivian", "Eric", "Grace", "Leo", "Cherry", "Tony", "Iris",
		"Jack", "Coco", "Allen", "Fiona", "Ryan", "Sunny", "Vincent", "Echo", "Frank", "Lily",
	}
	hyphenFirst = []string{"Jean-Luc", "Anna-Lena", "Mary-Kate", "Hans-Peter", "Marie-Claire", "Karl-Heinz", "Mei-Ling", "Jae-Won"}
	quoteLast   = []string{"O'Brien", "O'Connor", "O'Neill", "D'Angelo", "D'Souza", "O'Sullivan", "N'Diaye", "D'Arcy"}
)

// hanzi is a Chinese character or compound with its pinyin, used for display and emails.
type hanzi struct{ han, py string }

var (
	cnFamily = []hanzi{
		{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"},
		{"黄", "huang"}, {"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"}, {"徐", "xu"}, {"孙", "sun"},
		{"马", "ma"}, {"朱", "zhu"}, {"胡", "hu"}, {"郭", "guo"}, {"何", "he"}, {"高", "gao"},
		{"林", "lin"}, {"罗", "luo"}, {"郑", "zheng"}, {"梁", "liang"}, {"谢", "xie"}, {"宋", "song"},
		{"唐", "tang"}, {"许", "xu"}, {"韩", "han"}, {"冯", "feng"}, {"邓", "deng"}, {"曹", "cao"},
		{"彭", "peng"}, {"曾", "zeng"}, {"肖", "xiao"}, {"田", "tian"}, {"董", "dong"}, {"潘", "pan"},
		{"袁", "yuan"}, {"蔡", "cai"}, {"蒋", "jiang"}, {"余", "yu"}, {"欧阳", "ouyang"}, {"司马", "sima"},
	}
	cnGiven = []hanzi{
		{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"},
		{"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"}, {"艳", "yan"},
		{"杰", "jie"}, {"娟", "juan"}, {"涛", "tao"}, {"明", "ming"}, {"超", "chao"}, {"秀", "xiu"},
		{"霞", "xia"}, {"平", "ping"}, {"刚", "gang"}, {"英", "ying"}, {"华", "hua"}, {"文", "wen"},
		{"辉", "hui"}, {"玲", "ling"}, {"小", "xiao"}, {"建", "jian"}, {"国", "guo"}, {"海", "hai"},
		{"晨", "chen"}, {"宇", "yu"}, {"浩", "hao"}, {"然", "ran"}, {"子", "zi"}, {"涵", "han"},
		{"欣", "xin"}, {"怡", "yi"}, {"梓", "zi"}, {"轩", "xuan"}, {"博", "bo"}, {"雨", "yu"},
		{"思", "si"}, {"佳", "jia"}, {"俊", "jun"}, {"婷", "ting"}, {"琳", "lin"}, {"睿", "rui"},
		{"鑫", "xin"}, {"一", "yi"}, {"诺", "nuo"}, {"晓", "xiao"}, {"红", "hong"}, {"春", "chun"},
	}
)

// Reserved example domains only (RFC 2606), so a demo can never mail a real person.
var (
	emailDomains       = []string{"example.com", "example.org", "example.net", "mail.example.net"}
	emailDomainWeights = []int{40, 25, 15, 20}
)

// Phone prefixes. US numbers use the 555 exchange, which reads as fictional and still passes
// libphonenumber validation; Portland-area codes dominate, movers bring others.
var (
	usLocalNPA = []string{"503", "971", "360", "541", "458", "564"}
	usOtherNPA = []string{
		"201", "202", "206", "212", "213", "303", "305", "310", "312", "404", "408", "415",
		"425", "512", "602", "617", "646", "702", "713", "718", "801", "917", "919",
	}
	deMobile = []string{"151", "160", "170", "171", "176"}
	cnMobile = []string{"138", "139", "150", "186", "137"}
)

// Addresses: streets paired with the postcode they are really in.
type street struct{ name, postcode string }

var (
	portlandStreets = []street{
		{"NE Alberta St", "97211"}, {"SE Hawthorne Blvd", "97214"}, {"SE Division St", "97202"},
		{"N Williams Ave", "97227"}, {"N Mississippi Ave", "97227"}, {"NW 23rd Ave", "97210"},
		{"SE Belmont St", "97214"}, {"NE Broadway", "97232"}, {"SW Capitol Hwy", "97219"},
		{"N Lombard St", "97217"}, {"SE Foster Rd", "97206"}, {"NE Killingsworth St", "97211"},
		{"SE 52nd Ave", "97206"}, {"NE Sandy Blvd", "97213"}, {"SW Vista Ave", "97201"},
		{"N Interstate Ave", "97217"}, {"SE Woodstock Blvd", "97202"}, {"NE Fremont St", "97212"},
	}
	// Suburbs: street, city with state, postcode.
	portlandSuburbs = [][3]string{
		{"SW Canyon Rd", "Beaverton, OR", "97005"}, {"A Ave", "Lake Oswego, OR", "97034"},
		{"Main St", "Vancouver, WA", "98660"}, {"SE Harrison St", "Milwaukie, OR", "97222"},
		{"NE Division St", "Gresham, OR", "97030"}, {"SW Pacific Hwy", "Tigard, OR", "97223"},
	}
	berlinStreets = []street{
		{"Kastanienallee", "10435"}, {"Schönhauser Allee", "10437"}, {"Oranienstraße", "10999"},
		{"Bergmannstraße", "10961"}, {"Karl-Marx-Allee", "10243"}, {"Torstraße", "10119"},
		{"Sonnenallee", "12047"}, {"Kollwitzstraße", "10405"}, {"Boxhagener Straße", "10245"},
		{"Weserstraße", "12045"}, {"Prenzlauer Allee", "10405"}, {"Kottbusser Damm", "10967"},
		{"Müllerstraße", "13353"}, {"Schloßstraße", "12163"}, {"Hermannstraße", "12049"},
		{"Wilmersdorfer Straße", "10627"}, {"Greifswalder Straße", "10405"}, {"Frankfurter Allee", "10247"},
		{"Potsdamer Straße", "10785"}, {"Gneisenaustraße", "10961"}, {"Simon-Dach-Straße", "10245"},
	}
	// District, road.
	shanghaiRoads = [][2]string{
		{"徐汇区", "漕溪北路"}, {"徐汇区", "衡山路"}, {"徐汇区", "天钥桥路"}, {"静安区", "南京西路"},
		{"静安区", "延安中路"}, {"黄浦区", "淮海中路"}, {"黄浦区", "复兴中路"}, {"浦东新区", "世纪大道"},
		{"浦东新区", "张杨路"}, {"浦东新区", "锦绣路"}, {"长宁区", "愚园路"}, {"长宁区", "天山路"},
		{"杨浦区", "国定路"}, {"闵行区", "七莘路"}, {"普陀区", "曹杨路"}, {"虹口区", "四川北路"},
	}
)

// Customer notes, in the language the shop's staff write in.
var customerNotes = [3][]string{
	{
		"prefers Saturday pick-up", "tubeless setup, 28mm", "allergic to latex gloves",
		"text, don't call", "commutes daily, needs quick turnaround", "races cyclocross in autumn",
		"ask about fitting mudguards", "prefers Shimano over SRAM", "saddle height 74.5cm after fit",
		"stores bike with us over winter", "tyre pressure 60 psi front / 65 rear", "wants old parts back",
		"price-sensitive, always give options", "dog (Biscuit) usually comes along", "club ride leader on Sundays",
		"hard of hearing, prefers email", "team kit order contact", "call before any work over the estimate",
	},
	{
		"holt lieber samstags ab", "Tubeless, 28 mm", "Latexallergie, Nitrilhandschuhe verwenden",
		"bitte nur per E-Mail", "Pendler, braucht das Rad schnell zurück", "JobRad-Leasing",
		"möchte alte Teile zurück", "fährt Brevets, Nabendynamo", "ab 100 € vorher anrufen",
		"Winterreifen im November montieren", "Rad steht im Winter bei uns", "Sattelhöhe 74,5 cm",
	},
	{
		"周六取车", "真空胎 28mm", "对乳胶手套过敏", "请先发短信再打电话", "通勤用车，需要尽快修好",
		"喜欢禧玛诺套件", "周末骑行俱乐部成员", "保留旧零件", "报价超过预算先联系", "冬季寄存车辆",
	},
}

var workOrderNotes = []string{
	"customer will collect after work", "lights left on the bike", "lock key in the saddle bag",
	"quoted by phone", "priority: daily commuter", "customer declined cassette replacement",
	"called customer, left voicemail", "bike came in very muddy", "check warranty status",
}

// Words for staff passwords; all at least four letters so three words and two digits make 17+.
var passwordWords = []string{
	"maple", "sprocket", "river", "cadence", "granite", "willow", "derailleur", "harbor", "lantern",
	"meadow", "tandem", "saddle", "ember", "glacier", "pelican", "summit", "thistle", "orbit", "cobalt",
	"juniper", "falcon", "velvet", "canyon", "spoke", "pedal", "quartz", "tundra", "amber", "birch",
	"comet", "delta", "fjord", "gravel", "hollow", "indigo", "jasper", "kestrel", "lagoon", "marble",
	"nectar", "oasis", "pebble", "quill", "raven", "sierra", "timber", "umber", "valley", "walnut",
	"yonder", "zephyr", "crank", "brevet", "peloton", "breeze", "cedar", "dune", "echo", "flint",
	"grove", "heron", "island",
}

// translit maps the non-ASCII letters used in the name tables to ASCII for email addresses,
// following German convention for umlauts (Müller -> mueller).
var translit = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'ø': "o", 'å': "a", 'æ': "ae",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'á': "a", 'à': "a", 'â': "a", 'ã': "a",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'ı': "i", 'ó': "o", 'ò': "o", 'ô': "o", 'õ': "o",
	'ú': "u", 'ù': "u", 'û': "u", 'ñ': "n", 'ç': "c", 'ş': "s", 'ğ': "g", 'ł': "l",
	'ś': "s", 'ź': "z", 'ż': "z", 'ć': "c", 'ń': "n", 'ý': "y", 'č': "c", 'š': "s", 'ž': "z", 'đ': "d",
}
