package demo

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const day = 86400

// pcgStream fixes the PCG increment so the seed alone selects the data.
const pcgStream = 0x5370_6f6b_6544_656d // "SpokeDem"

type shopState struct {
	t         *shopTemplate
	key       string
	manager   string
	sales     []string
	mechanics []string
	customers []int32 // indexes into Chain.Customers
}

// modelRef is one entry of a weighted model table.
type modelRef struct {
	mi  int // index into makes
	mk  *make_
	md  *model_
	cum int // cumulative weight up to and including this entry
}

type gen struct {
	r        *rand.Rand
	now      int64 // all internal times are Unix seconds, UTC
	nowYear  int
	winStart int64
	day0     int64     // UTC midnight of the first day of the sales window
	cum      []float64 // cum[i]: seasonal weight of window days before day i

	c       *Chain
	n       int
	shops   []shopState
	models  [3][8][]modelRef // by region and type bit position
	serials []uint64         // per make, how many serials were issued
	emails  map[string]struct{}
	phones  map[string]struct{}
	users   map[string]struct{}

	strs      arena
	buf, asc  []byte // scratch for strings being composed
	split     int    // g.asc[:split] is the ASCII given name, g.asc[split:] the family name
	lines     []Line // scratch for the ticket being written
	linePool  []Line
	bikePool  []Bike
	bikeN     int
	curModels [3]modelRef // catalogue entries of the current customer's bikes
}

func newGen(opts Options) *gen {
	now := opts.Now
	if now.IsZero() {
		now = defaultNow
	}
	now = now.UTC().Truncate(time.Second)
	n := max(opts.Customers, 0)
	g := &gen{
		r:        rand.New(rand.NewPCG(opts.Seed, pcgStream)),
		now:      now.Unix(),
		nowYear:  now.Year(),
		winStart: now.AddDate(-2, 0, 0).Unix(),
		n:        n,
		c:        &Chain{},
		emails:   make(map[string]struct{}, n),
		phones:   make(map[string]struct{}, n),
		users:    make(map[string]struct{}),
		serials:  make([]uint64, len(makes)),
	}
	g.initDays()
	g.initModels()
	return g
}

// arena packs the chain's million-odd short strings into shared 64 KiB blocks: one heap
// object per string dominated both generation time and GC work. strings.Builder only ever
// appends, so a string sliced from it stays valid; a block is replaced, never grown.
type arena struct{ b strings.Builder }

func (a *arena) str(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if a.b.Cap()-a.b.Len() < len(p) {
		a.b = strings.Builder{}
		a.b.Grow(max(64<<10, len(p)))
	}
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}

// --- randomness helpers ---

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *gen) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	v := g.r.IntN(total)
	for i, x := range w {
		if v < x {
			return i
		}
		v -= x
	}
	return len(w) - 1
}

// --- time ---

var (
	monthWeight   = [12]float64{0.55, 0.6, 0.9, 1.25, 1.45, 1.5, 1.45, 1.3, 1.1, 0.85, 0.65, 0.8} // Dec: gifts
	weekdayWeight = [7]float64{0.5, 0.8, 1, 1, 1.05, 1.15, 1.6}                                   // Sunday first
)

// initDays precomputes the seasonal distribution over the window's days, so drawing a busy
// day is one binary search rather than rejection sampling.
func (g *gen) initDays() {
	g.day0 = floorDiv(g.winStart, day) * day
	nd := int((g.now-g.day0)/day) + 1
	g.cum = make([]float64, nd+1)
	for i := range nd {
		t := time.Unix(g.day0+int64(i)*day, 0).UTC()
		g.cum[i+1] = g.cum[i] + monthWeight[t.Month()-1]*weekdayWeight[t.Weekday()]
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// openAt is a random moment within the shop's opening hours on window day d (d may be
// negative for days before the window).
func (g *gen) openAt(sh *shopState, d int64) int64 {
	mid := g.day0 + d*day
	open, closing := int64(10), int64(19)
	if (floorDiv(mid, day)+4)%7 == 0 { // 1970-01-01 was a Thursday
		open, closing = 11, 17
	}
	return mid - sh.t.offset + open*3600 + g.r.Int64N((closing-open)*3600)
}

// eventTime draws a seasonal, in-hours moment in [from, to].
func (g *gen) eventTime(sh *shopState, from, to int64) int64 {
	if to <= from {
		return from
	}
	last := len(g.cum) - 2
	d0 := min(max(int(floorDiv(from-g.day0, day)), 0), last)
	d1 := min(max(int(floorDiv(to-g.day0, day)), 0), last)
	for range 8 {
		t := g.openAt(sh, int64(g.seasonalDay(d0, d1)))
		if t >= from && t <= to {
			return t
		}
	}
	return from + g.r.Int64N(to-from+1)
}

func (g *gen) seasonalDay(d0, d1 int) int {
	lo, hi := g.cum[d0], g.cum[d1+1]
	x := lo + g.r.Float64()*(hi-lo)
	i, j := d0, d1
	for i < j {
		h := (i + j) / 2
		if g.cum[h+1] > x {
			j = h
		} else {
			i = h + 1
		}
	}
	return i
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// --- string helpers ---

func (g *gen) key(prefix byte, n int) string {
	g.buf = append(g.buf[:0], prefix)
	g.buf = appendPadded(g.buf, n, 6)
	return g.strs.str(g.buf)
}

func appendPadded(b []byte, n, width int) []byte {
	var d [20]byte
	i := len(d)
	for n > 0 || i == len(d) {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	for w := len(d) - i; w < width; w++ {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

func (g *gen) appendDigits(b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+g.r.IntN(10)))
	}
	return b
}

// appendASCII transliterates a name part for use in an email address or username.
func appendASCII(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			if 'a' <= r && r <= 'z' {
				b = append(b, byte(r))
			}
		default:
			b = append(b, translit[unicode.ToLower(r)]...)
		}
	}
	return b
}

// --- shops and staff ---

func (g *gen) genShops() {
	ns := 2
	if g.n >= 1000 {
		ns = 3
	}
	g.shops = make([]shopState, ns)
	for i := range ns {
		t := &shopTemplates[i]
		key := "shop" + string(rune('1'+i))
		g.shops[i] = shopState{t: t, key: key}
		g.c.Shops = append(g.c.Shops, Shop{Key: key, Name: t.name, Region: t.region, Currency: t.currency})
	}
}

func (g *gen) genStaff() {
	g.addStaff("owner", "", rUS, "")
	g.addStaff("marketing", "", rDE, "marketing")
	g.addStaff("auditor", "", rUS, "audit")
	for i := range g.shops {
		sh := &g.shops[i]
		r := sh.t.r
		sh.manager = g.addStaff("manager", sh.key, r, "manager")
		for range g.between(2, 4) {
			sh.sales = append(sh.sales, g.addStaff("sales", sh.key, r, "sales"))
		}
		for range g.between(2, 3) {
			sh.mechanics = append(sh.mechanics, g.addStaff("mechanic", sh.key, r, "mech"))
		}
	}
}

// addStaff creates an account and returns its username: "owner", or given name (family name
// in China, as colleagues there address each other) dot suffix, numbered when taken.
func (g *gen) addStaff(role, shopKey string, r int, suffix string) string {
	chinese := g.name(r, true)
	display := g.strs.str(g.buf)
	g.buf = g.buf[:0]
	if suffix == "" {
		g.buf = append(g.buf, role...)
	} else {
		if chinese {
			g.buf = append(g.buf, g.asc[g.split:]...)
		} else {
			g.buf = append(g.buf, g.asc[:g.split]...)
		}
		g.buf = append(g.buf, '.')
		g.buf = append(g.buf, suffix...)
	}
	base := len(g.buf)
	for n := 2; ; n++ {
		if _, taken := g.users[string(g.buf)]; !taken {
			break
		}
		g.buf = appendPadded(g.buf[:base], n, 1)
	}
	username := g.strs.str(g.buf)
	g.users[username] = struct{}{}
	g.c.Staff = append(g.c.Staff, Staff{
		Username: username, DisplayName: display, Role: role, ShopKey: shopKey, Password: g.password(),
	})
	return username
}

func (g *gen) password() string {
	for {
		g.buf = g.buf[:0]
		for range 3 {
			g.buf = append(g.buf, pick(g, passwordWords)...)
			g.buf = append(g.buf, '-')
		}
		g.buf = g.appendDigits(g.buf, 2)
		if len(g.buf) >= 16 {
			return g.strs.str(g.buf)
		}
	}
}

// --- customers ---

var (
	salesCountWeights = []int{18, 25, 22, 15, 10, 6, 4} // mean ~2.1 sales per customer
	woCountWeights    = []int{54, 34, 9, 3}             // mean ~0.6 work orders per customer
	bikeCountWeights  = []int{0, 60, 30, 10}
)

type start struct {
	at   int64
	shop int
}

func (g *gen) genCustomers() {
	weights := make([]int, len(g.shops))
	for i := range g.shops {
		weights[i] = g.shops[i].t.weight
	}
	starts := make([]start, g.n)
	perShop := make([]int, len(g.shops))
	for i := range starts {
		s := g.weighted(weights)
		perShop[s]++
		var at int64
		if g.chance(0.3) {
			// Long-standing customers from before the window.
			at = g.openAt(&g.shops[s], -1-g.r.Int64N(4*365))
		} else {
			at = g.eventTime(&g.shops[s], g.winStart, g.now-2*3600)
		}
		starts[i] = start{at, s}
	}
	// Every shop needs a customer so that it can show every work order status.
	for s := range g.shops {
		for i := 0; perShop[s] == 0 && i < len(starts); i++ {
			if o := starts[i].shop; perShop[o] > 1 {
				perShop[o]--
				perShop[s]++
				starts[i].shop = s
			}
		}
	}
	// Customer keys follow sign-up order, as they would in a real shop.
	slices.SortFunc(starts, func(a, b start) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.shop, b.shop))
	})

	g.c.Customers = make([]Customer, 0, g.n)
	g.c.Sales = make([]Sale, 0, g.n*21/10+16)
	g.c.WorkOrders = make([]WorkOrder, 0, g.n*62/100+64)
	for i, st := range starts {
		g.customer(i, st)
	}
}

func (g *gen) customer(i int, st start) {
	sh := &g.shops[st.shop]
	r := sh.t.r
	sh.customers = append(sh.customers, int32(i))
	c := Customer{
		Key:       g.key('c', i+1),
		ShopKey:   sh.key,
		CreatedAt: unix(st.at),
	}
	if g.chance(0.1) {
		c.OwnerUsername = sh.manager
	} else {
		c.OwnerUsername = pick(g, sh.sales)
	}
	g.name(r, false)
	c.Name = g.strs.str(g.buf)
	if !g.chance(0.15) {
		c.Email = g.email()
	}
	c.Phone = g.phone(r)
	c.Address = g.address(r)
	if g.chance(0.6) {
		c.Birthday = g.birthday()
	}
	if g.chance(0.3) {
		c.Notes = pick(g, customerNotes[r])
	}

	nSales := g.weighted(salesCountWeights)
	nWO := g.weighted(woCountWeights)
	// A new customer is entered at the counter, minutes before their first receipt or ticket;
	// some of them are there to buy a bike, which becomes their first bike on file.
	first, firstIsSale, buysBike := int64(0), false, false
	if st.at >= g.winStart && nSales+nWO > 0 {
		first = min(st.at+120+g.r.Int64N(40*60), g.now)
		firstIsSale = nSales > 0 && (nWO == 0 || g.chance(0.7))
		buysBike = firstIsSale && g.chance(0.15)
	}
	// The first bike must predate every ticket, so it is no newer than the sign-up.
	firstYear, exact := modelYear(st.at), false
	if buysBike {
		firstYear, exact = modelYear(first), true
	}
	c.Bikes = g.bikes(r, g.weighted(bikeCountWeights), firstYear, exact)

	if first != 0 {
		if firstIsSale {
			var bought *Bike
			if buysBike {
				bought = &c.Bikes[0]
			}
			g.sale(&c, sh, first, bought)
			nSales--
		} else {
			g.workOrder(&c, sh, first, "")
			nWO--
		}
	}
	from := max(st.at+3600, g.winStart)
	for range nSales {
		g.sale(&c, sh, g.eventTime(sh, from, g.now), nil)
	}
	for range nWO {
		g.workOrder(&c, sh, g.eventTime(sh, from, g.now), "")
	}
	g.c.Customers = append(g.c.Customers, c)
}

// name writes a display name for region r to g.buf and its ASCII given and family parts to
// g.asc (split at g.split). It reports whether the name is in Chinese characters. Staff
// names are kept plain; customers get the odd hyphen or apostrophe and, in Shanghai, a
// share of Latin-script names.
func (g *gen) name(r int, staff bool) (chinese bool) {
	g.buf, g.asc = g.buf[:0], g.asc[:0]
	unusual := !staff && g.chance(0.01)
	if r == rCN && !unusual && (staff || g.chance(0.8)) {
		fam := pick(g, cnFamily)
		g.buf = append(g.buf, fam.han...)
		for range 1 + g.weighted([]int{30, 70}) {
			gv := pick(g, cnGiven)
			g.buf = append(g.buf, gv.han...)
			g.asc = append(g.asc, gv.py...)
		}
		g.split = len(g.asc)
		g.asc = append(g.asc, fam.py...)
		return true
	}

	var first, last string
	switch r {
	case rUS:
		first, last = pick(g, usFirst), pick(g, usLast)
	case rDE:
		first, last = pick(g, deFirst), pick(g, deLast)
	default:
		switch g.r.IntN(4) {
		case 0, 1:
			// Pinyin in Western order, as on a passport: "Xiaoming Wang".
			for k := range 1 + g.r.IntN(2) {
				py := pick(g, cnGiven).py
				if k == 0 {
					g.buf = append(g.buf, py[0]-'a'+'A')
					g.buf = append(g.buf, py[1:]...)
				} else {
					g.buf = append(g.buf, py...)
				}
				g.asc = append(g.asc, py...)
			}
			g.split = len(g.asc)
			fam := pick(g, cnFamily).py
			g.buf = append(g.buf, ' ', fam[0]-'a'+'A')
			g.buf = append(g.buf, fam[1:]...)
			g.asc = append(g.asc, fam...)
			return false
		case 2:
			first = pick(g, cnEnglish)
			fam := pick(g, cnFamily).py
			g.buf = append(g.buf, first...)
			g.asc = appendASCII(g.asc, first)
			g.split = len(g.asc)
			g.buf = append(g.buf, ' ', fam[0]-'a'+'A')
			g.buf = append(g.buf, fam[1:]...)
			g.asc = append(g.asc, fam...)
			return false
		default: // expats
			first, last = pick(g, usFirst), pick(g, usLast)
		}
	}

	var last2 string
	if unusual {
		switch g.r.IntN(3) {
		case 0:
			first = pick(g, hyphenFirst)
		case 1:
			last2 = pick(g, usLast)
			if r == rDE {
				last2 = pick(g, deLast)
			}
		default:
			last = pick(g, quoteLast)
		}
	}
	g.buf = append(g.buf, first...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, last...)
	g.asc = appendASCII(g.asc, first)
	g.split = len(g.asc)
	g.asc = appendASCII(g.asc, last)
	if last2 != "" && last2 != last {
		g.buf = append(g.buf, '-')
		g.buf = append(g.buf, last2...)
		g.asc = appendASCII(g.asc, last2)
	}
	return false
}

// email derives an address from the ASCII name in g.asc, the way people pick them.
func (g *gen) email() string {
	first, last := g.asc[:g.split], g.asc[g.split:]
	b := g.buf[:0]
	switch g.weighted([]int{30, 15, 15, 8, 7, 5, 10, 10}) {
	case 0:
		b = append(append(append(b, first...), '.'), last...)
	case 1:
		b = append(append(b, first...), last...)
	case 2:
		b = append(append(append(b, first[0]), '.'), last...)
	case 3:
		b = append(append(append(b, first...), '_'), last...)
	case 4:
		b = append(append(b, last...), first[0])
	case 5:
		b = append(append(b, first...), last[0])
	case 6:
		b = append(append(append(b, first...), '.'), last...)
		b = g.appendDigits(b, 2)
	default:
		b = append(b, first...)
		b = appendPadded(b, g.between(60, 99)+g.between(0, 1)*1900, 2)
	}
	local := len(b)
	for try := 0; ; try++ {
		b = append(b, '@')
		b = append(b, emailDomains[g.weighted(emailDomainWeights)]...)
		if _, taken := g.emails[string(b)]; !taken {
			break
		}
		// Taken: people then add a number.
		b = g.appendDigits(b[:local], 1+min(try/3, 3))
	}
	g.buf = b
	s := g.strs.str(b)
	g.emails[s] = struct{}{}
	return s
}

// phone returns a unique E.164 number plausible for region r. US 555 numbers are scarce, so
// after a few collisions any US area code is used; only an implausibly large chain would then
// see a duplicate.
func (g *gen) phone(r int) string {
	for try := 0; ; try++ {
		b := g.buf[:0]
		switch r {
		case rUS:
			npa := usLocalNPA
			if try >= 8 || g.chance(0.2) {
				npa = usOtherNPA
			}
			b = append(b, "+1"...)
			b = append(b, pick(g, npa)...)
			b = append(b, "555"...)
			b = g.appendDigits(b, 4)
		case rDE:
			b = append(b, "+49"...)
			b = append(b, pick(g, deMobile)...)
			b = g.appendDigits(b, 8)
		default:
			b = append(b, "+86"...)
			b = append(b, pick(g, cnMobile)...)
			b = g.appendDigits(b, 8)
		}
		g.buf = b
		if _, taken := g.phones[string(b)]; !taken || try >= 32 {
			s := g.strs.str(b)
			g.phones[s] = struct{}{}
			return s
		}
	}
}

func (g *gen) address(r int) string {
	b := g.buf[:0]
	switch r {
	case rUS:
		b = appendPadded(b, g.between(100, 9899), 1)
		b = append(b, ' ')
		if g.chance(0.75) {
			st := pick(g, portlandStreets)
			b = append(b, st.name...)
			if g.chance(0.15) {
				b = append(b, " Apt "...)
				b = appendPadded(b, g.between(1, 12), 1)
				b = append(b, byte('A'+g.r.IntN(4)))
			}
			b = append(b, ", Portland, OR "...)
			b = append(b, st.postcode...)
		} else {
			sub := pick(g, portlandSuburbs)
			b = append(b, sub[0]...)
			b = append(b, ", "...)
			b = append(b, sub[1]...)
			b = append(b, ' ')
			b = append(b, sub[2]...)
		}
	case rDE:
		st, city := pick(g, berlinStreets), "Berlin"
		if g.chance(0.06) {
			st, city = street{"Brandenburger Straße", "14467"}, "Potsdam"
		}
		b = append(b, st.name...)
		b = append(b, ' ')
		b = appendPadded(b, g.between(1, 180), 1)
		if g.chance(0.1) {
			b = append(b, byte('a'+g.r.IntN(3)))
		}
		b = append(b, ", "...)
		b = append(b, st.postcode...)
		b = append(b, ' ')
		b = append(b, city...)
	default:
		rd := pick(g, shanghaiRoads)
		b = append(b, "上海市"...)
		b = append(b, rd[0]...)
		b = append(b, rd[1]...)
		if g.chance(0.5) {
			b = appendPadded(b, g.between(1, 2000), 1)
			b = append(b, "号"...)
		} else {
			b = appendPadded(b, g.between(1, 1500), 1)
			b = append(b, "弄"...)
			b = appendPadded(b, g.between(1, 40), 1)
			b = append(b, "号"...)
			b = appendPadded(b, g.between(1, 30), 1)
			b = appendPadded(b, g.between(1, 6), 2)
			b = append(b, "室"...)
		}
	}
	g.buf = b
	return g.strs.str(b)
}

func (g *gen) birthday() string {
	bands := [...][2]int{{10, 17}, {18, 29}, {30, 44}, {45, 59}, {60, 82}}
	band := bands[g.weighted([]int{5, 20, 35, 28, 12})]
	year := g.nowYear - g.between(band[0], band[1])
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(365))
	b := appendPadded(g.buf[:0], t.Year(), 4)
	b = append(b, '-')
	b = appendPadded(b, int(t.Month()), 2)
	b = append(b, '-')
	b = appendPadded(b, t.Day(), 2)
	g.buf = b
	return g.strs.str(b)
}

// --- bikes ---

func (g *gen) initModels() {
	for r := range 3 {
		for tb := range len(typeNames) {
			typ := 1 << tb
			total := 0
			for mi := range makes {
				mk := &makes[mi]
				count := 0
				for _, md := range mk.models {
					if md.typ == typ {
						count++
					}
				}
				for di := range mk.models {
					md := &mk.models[di]
					if md.typ != typ || mk.weight[r] == 0 {
						continue
					}
					// Spread a make's share over its models so a long model list doesn't inflate it.
					total += max(mk.weight[r]*12/count, 1)
					g.models[r][tb] = append(g.models[r][tb], modelRef{mi, mk, md, total})
				}
			}
		}
	}
}

func (g *gen) pickModel(r int) modelRef {
	tb := g.weighted(typeWeights[r][:])
	refs := g.models[r][tb]
	if len(refs) == 0 {
		// No local make of this type: fall back to the US catalogue, which covers every type.
		refs = g.models[rUS][tb]
	}
	v := g.r.IntN(refs[len(refs)-1].cum)
	i, _ := slices.BinarySearchFunc(refs, v, func(m modelRef, v int) int {
		if m.cum <= v {
			return -1
		}
		return 1
	})
	return refs[i]
}

// modelYear is the model year on sale at t: next year's models arrive by late summer.
func modelYear(t int64) int {
	u := unix(t)
	if u.Month() >= time.August {
		return u.Year() + 1
	}
	return u.Year()
}

// bikes draws n bikes. The first one's model year is firstYear when exact (it is being bought
// now), otherwise at most firstYear.
func (g *gen) bikes(r, n, firstYear int, exact bool) []Bike {
	if len(g.bikePool) < n {
		g.bikePool = make([]Bike, 4096)
	}
	out := g.bikePool[:n:n]
	g.bikePool = g.bikePool[n:]
	for i := range out {
		ref := g.pickModel(r)
		g.curModels[i] = ref
		year := g.nowYear - min(int(g.r.ExpFloat64()*3.5), 14)
		if ref.md.typ == tKids {
			year = g.nowYear - g.r.IntN(4) // children outgrow them
		}
		if i == 0 && (exact || year > firstYear) {
			year = firstYear
		}
		out[i] = Bike{
			Key:       g.key('b', g.bikeN+1),
			Make:      ref.mk.name,
			Model:     ref.md.name,
			Year:      year,
			Type:      typeNames[bitIndex(ref.md.typ)],
			FrameSize: pick(g, frameSizes(ref.mk, ref.md)),
			Colour:    pick(g, colours),
		}
		out[i].Serial = g.serial(ref.mi, year)
		g.bikeN++
	}
	return out
}

func bitIndex(b int) int {
	for i := range len(typeNames) {
		if b == 1<<i {
			return i
		}
	}
	return 0
}

// serial renders the make's template. The '#' digits encode a per-make counter through
// x -> x*mult+add mod 10^k, a bijection because mult is coprime to 10: serials look random yet
// cannot repeat, without remembering the ones already issued.
func (g *gen) serial(mi, year int) string {
	mk := &makes[mi]
	ctr := g.serials[mi]
	g.serials[mi]++
	k := uint64(strings.Count(mk.serial, "#"))
	mod := uint64(1)
	for range k {
		mod *= 10
	}
	x := (ctr%mod*7919 + 104729 + uint64(mi)*1000003) % mod
	var digits [20]byte
	for i := int(k) - 1; i >= 0; i-- {
		digits[i] = byte('0' + x%10)
		x /= 10
	}
	b, di := g.buf[:0], 0
	for i := 0; i < len(mk.serial); i++ {
		switch ch := mk.serial[i]; ch {
		case '#':
			b = append(b, digits[di])
			di++
		case 'a':
			b = append(b, byte('A'+g.r.IntN(26)))
		case 'y':
			b = appendPadded(b, year%100, 2)
		case 'm':
			b = appendPadded(b, 1+g.r.IntN(12), 2)
		default:
			b = append(b, ch)
		}
	}
	if ctr >= mod {
		// Past the format's capacity: a suffix keeps serials unique.
		b = append(b, '-')
		b = appendPadded(b, int(ctr/mod), 1)
	}
	g.buf = b
	return g.strs.str(b)
}

// --- sales ---

var (
	paymentMethods = []string{"card", "cash", "bank_transfer", "gift_card"}
	paymentWeights = [3][]int{{78, 12, 3, 7}, {62, 28, 5, 5}, {88, 6, 3, 3}}
	bikePayWeights = []int{65, 5, 28, 2}
)

func (g *gen) sale(c *Customer, sh *shopState, at int64, bought *Bike) {
	cur := sh.t.currency
	ls := g.lines[:0]
	pay := paymentWeights[sh.t.r]
	if bought != nil {
		ref := g.curModels[0] // bought is always the customer's first bike
		g.buf = append(g.buf[:0], bought.Make...)
		g.buf = append(g.buf, ' ')
		g.buf = append(g.buf, bought.Model...)
		g.buf = append(g.buf, " ("...)
		g.buf = append(g.buf, bought.FrameSize...)
		g.buf = append(g.buf, ", "...)
		g.buf = append(g.buf, bought.Colour...)
		g.buf = append(g.buf, ')')
		ls = append(ls, Line{"part", ref.md.sku, g.strs.str(g.buf), 1, localPrice(ref.md.usd, cur)})
		for _, it := range bikeAddOns {
			if g.chance(0.3) {
				ls = append(ls, itemLine(it, 1, cur))
			}
		}
		pay = bikePayWeights
	} else {
		for range 1 + g.weighted([]int{45, 30, 17, 8}) {
			a := accessories[g.weightedRetail()]
			if slices.ContainsFunc(ls, func(l Line) bool { return l.SKU == a.it.sku }) {
				continue
			}
			ls = append(ls, itemLine(a.it, g.between(1, a.qmax), cur))
		}
	}
	g.lines = ls
	g.c.Sales = append(g.c.Sales, Sale{
		CustomerKey:    c.Key,
		ShopKey:        sh.key,
		SellerUsername: pick(g, sh.sales),
		PaymentMethod:  paymentMethods[g.weighted(pay)],
		At:             unix(at),
		Lines:          g.keepLines(ls),
	})
}

var retailTotal = func() int {
	t := 0
	for _, a := range accessories {
		t += a.weight
	}
	return t
}()

func (g *gen) weightedRetail() int {
	v := g.r.IntN(retailTotal)
	for i, a := range accessories {
		if v < a.weight {
			return i
		}
		v -= a.weight
	}
	return len(accessories) - 1
}

func itemLine(it item, qty int, cur string) Line {
	kind := "part"
	if strings.HasPrefix(it.sku, "LAB-") {
		kind = "labour"
	}
	return Line{Kind: kind, SKU: it.sku, Description: it.desc, Qty: qty, UnitPrice: localPrice(it.usd, cur)}
}

// localPrice converts a US list price into the shop's currency at a round local price point,
// keeping the .99 style of retail prices.
func localPrice(usd int64, cur string) int64 {
	charm := usd%100 == 99
	var v, step int64
	switch cur {
	case "EUR":
		v, step = usd*92/100, 100
		if v >= 10000 {
			step = 500
		}
		if v >= 100000 {
			step = 1000
		}
	case "CNY":
		v, step = usd*72/10, 100
		if v >= 10000 {
			step = 1000
		}
	default:
		return usd
	}
	v = (v + step/2) / step * step
	if v < step {
		v = step
	}
	if charm {
		if cur == "CNY" {
			v -= 100
		} else {
			v--
		}
	}
	return max(v, 1)
}

// keepLines copies the scratch lines into a shared block with capped capacity, so a caller
// appending to one ticket's lines cannot overwrite the next ticket's.
func (g *gen) keepLines(ls []Line) []Line {
	if len(ls) == 0 {
		return nil
	}
	if len(g.linePool) < len(ls) {
		g.linePool = make([]Line, 8192)
	}
	out := g.linePool[:len(ls):len(ls)]
	copy(out, ls)
	g.linePool = g.linePool[len(ls):]
	return out
}

// --- work orders ---

// statusByAge: how far along a ticket is depends on how long ago it came in.
var statusByAge = []struct {
	upTo int64
	w    []int // weights in statuses order
}{
	{1 * day, []int{45, 30, 12, 8, 0, 0, 0, 5}},
	{4 * day, []int{0, 10, 15, 25, 15, 20, 10, 5}},
	{14 * day, []int{0, 0, 0, 5, 15, 15, 58, 7}},
	{45 * day, []int{0, 0, 0, 0, 2, 2, 89, 7}},
	{1 << 62, []int{0, 0, 0, 0, 0, 0, 93, 7}},
}

// forcedAge is how old a ticket made up to show a status is: [min, max) seconds.
var forcedAge = [...][2]int64{
	{600, 20 * 3600}, {2 * 3600, 3 * day}, {1 * day, 4 * day}, {1 * day, 5 * day},
	{3 * day, 12 * day}, {2 * day, 8 * day}, {20 * day, 300 * day}, {10 * day, 200 * day},
}

// ensureStatuses adds tickets so that every shop shows every status, which small demo
// chains would otherwise miss.
func (g *gen) ensureStatuses() {
	seen := make([][len(forcedAge)]bool, len(g.shops))
	for i := range g.c.WorkOrders {
		w := &g.c.WorkOrders[i]
		seen[shopIndex(w.ShopKey)][slices.Index(statuses, w.Status)] = true
	}
	for s := range g.shops {
		sh := &g.shops[s]
		if len(sh.customers) == 0 {
			continue
		}
		for st, ok := range seen[s] {
			if ok {
				continue
			}
			c := &g.c.Customers[pick(g, sh.customers)]
			age := forcedAge[st]
			at := g.now - age[0] - g.r.Int64N(age[1]-age[0])
			at = max(at, c.CreatedAt.Unix()+300)
			g.workOrder(c, sh, at, statuses[st])
		}
	}
}

func shopIndex(key string) int { return int(key[len("shop")] - '1') }

func (g *gen) workOrder(c *Customer, sh *shopState, at int64, status string) {
	if status == "" {
		age := g.now - at
		for _, band := range statusByAge {
			if age < band.upTo {
				status = statuses[g.weighted(band.w)]
				break
			}
		}
	}
	bike := g.bikeFor(c, at)
	job := g.pickJob(typeBit(bike.Type))
	w := WorkOrder{
		CustomerKey: c.Key,
		BikeKey:     bike.Key,
		ShopKey:     sh.key,
		Status:      status,
		Complaint:   pick(g, job.complaints),
		CreatedAt:   unix(at),
	}
	if status != "intake" || g.chance(0.5) {
		w.MechanicUsername = pick(g, sh.mechanics)
	}
	if status != "intake" && (status != "cancelled" || g.chance(0.5)) {
		w.Lines = g.jobLines(job, typeBit(bike.Type), sh.t.currency)
	}
	// Promised for 17:00 local, a few days out; longer when parts are awaited.
	off := sh.t.offset
	localMid := floorDiv(at+off, day)*day - off
	days := int64(g.between(1, 5))
	if status == "waiting_parts" {
		days += int64(g.between(2, 6))
	}
	promised := localMid + days*day + 17*3600
	w.PromisedAt = unix(promised)
	// Closed in opening hours: collected around the promised day, cancelled within days.
	var closed int64
	switch status {
	case "collected":
		closed = g.openAt(sh, floorDiv(promised+off-g.day0, day)+int64(g.between(-1, 3)))
	case "cancelled":
		closed = g.openAt(sh, floorDiv(at+off-g.day0, day)+int64(g.between(0, 3)))
	}
	if closed != 0 {
		w.ClosedAt = unix(min(max(closed, at+900), g.now))
	}
	switch {
	case status == "waiting_parts" && job.waitNote != "" && g.chance(0.8):
		w.Notes = job.waitNote
	case g.chance(0.15):
		w.Notes = pick(g, workOrderNotes)
	}
	g.c.WorkOrders = append(g.c.WorkOrders, w)
}

// bikeFor picks a bike that already existed at t; the first bike always qualifies.
func (g *gen) bikeFor(c *Customer, t int64) *Bike {
	maxYear := modelYear(t)
	n := 0
	for i := range c.Bikes {
		if c.Bikes[i].Year <= maxYear {
			n++
		}
	}
	k := g.r.IntN(max(n, 1))
	for i := range c.Bikes {
		if c.Bikes[i].Year <= maxYear {
			if k == 0 {
				return &c.Bikes[i]
			}
			k--
		}
	}
	return &c.Bikes[0]
}

func (g *gen) pickJob(tb int) *jobVariant {
	total := 0
	for i := range jobs {
		if jobs[i].types&tb != 0 {
			total += jobs[i].weight
		}
	}
	v := g.r.IntN(total)
	for i := range jobs {
		if jobs[i].types&tb == 0 {
			continue
		}
		if v < jobs[i].weight {
			return &jobs[i]
		}
		v -= jobs[i].weight
	}
	panic("unreachable: job weights")
}

func (g *gen) jobLines(job *jobVariant, tb int, cur string) []Line {
	ls := g.lines[:0]
	for i, lp := range job.labour {
		if i == 0 || g.chance(lp.p) {
			ls = append(ls, itemLine(lp.it, g.between(lp.qmin, lp.qmax), cur))
		}
	}
	for _, pp := range job.parts {
		if !g.chance(pp.p) {
			continue
		}
		if it, ok := g.part(pp.class, tb); ok {
			ls = append(ls, itemLine(it, g.between(pp.qmin, pp.qmax), cur))
		}
	}
	g.lines = ls
	return g.keepLines(ls)
}

// part draws a concrete part of a class that fits the bike type.
func (g *gen) part(class, tb int) (item, bool) {
	fit := 0
	for _, pc := range parts[class] {
		if pc.types&tb != 0 {
			fit++
		}
	}
	if fit == 0 {
		return item{}, false
	}
	k := g.r.IntN(fit)
	for _, pc := range parts[class] {
		if pc.types&tb != 0 {
			if k == 0 {
				return pc.it, true
			}
			k--
		}
	}
	return item{}, false
}

// finish orders tickets and receipts by time and numbers them, as a real system would have.
func (g *gen) finish() {
	slices.SortFunc(g.c.WorkOrders, func(a, b WorkOrder) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for i := range g.c.WorkOrders {
		g.c.WorkOrders[i].Key = g.key('w', i+1)
	}
	slices.SortFunc(g.c.Sales, func(a, b Sale) int { return a.At.Compare(b.At) })
	for i := range g.c.Sales {
		g.c.Sales[i].Key = g.key('s', i+1)
	}
}
