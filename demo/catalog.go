package demo

// Bike types, as bits so a catalogue entry can say which types it fits.
const (
	tRoad = 1 << iota
	tGravel
	tMTB
	tHybrid
	tEBike
	tKids
	tCargo
	tBMX

	tAll  = 1<<iota - 1
	tDisc = tRoad | tGravel | tMTB | tEBike | tCargo // hydraulic discs are assumed on these
	tDrop = tRoad | tGravel                          // drop bars: bar tape, fits
)

// typeNames is indexed by the bit position of a type constant.
var typeNames = [...]string{"road", "gravel", "mtb", "hybrid", "e-bike", "kids", "cargo", "bmx"}

// typeBit maps Bike.Type back to its bit; an unknown type fits only "all" entries.
func typeBit(s string) int {
	for i, n := range typeNames {
		if n == s {
			return 1 << i
		}
	}
	return 0
}

// make_ describes a manufacturer. Serial is a template: '#' digits come from a per-make
// counter run through a bijection (so serials look random but can never repeat), 'a' is a
// random capital letter, 'y' the two-digit model year, 'm' a month 01-12; anything else is
// literal. Each make has a distinct literal prefix so serials cannot collide across makes.
type make_ struct {
	name   string
	serial string
	sizes  int      // sizing convention, see frameSize
	weight [3]int   // relative popularity at US, DE, CN shops
	models []model_ // at least one
}

type model_ struct {
	name  string
	typ   int    // a single type bit
	usd   int64  // list price in US cents; other currencies are derived
	sku   string // retail SKU when sold new
	sizes []string
}

// Sizing conventions.
const (
	sizeDefault = iota // cm for drop bars, letters otherwise
	sizeLetters        // letters everywhere (Canyon, Giant)
	sizeInches         // inches for flat bars, cm for drop bars (Cube, Merida)
	sizeOne            // one size (Brompton, cargo)
)

var makes = []make_{
	{name: "Trek", serial: "WTU###a####a", weight: [3]int{22, 8, 6}, models: []model_{
		{"Domane AL 2", tRoad, 119999, "TRK-DOM-AL2", nil},
		{"Domane SL 6", tRoad, 429999, "TRK-DOM-SL6", nil},
		{"Émonda SL 5", tRoad, 329999, "TRK-EMO-SL5", nil},
		{"Checkpoint ALR 5", tGravel, 249999, "TRK-CKP-ALR5", nil},
		{"Fuel EX 8", tMTB, 469999, "TRK-FEX-8", nil},
		{"Marlin 7", tMTB, 109999, "TRK-MAR-7", nil},
		{"FX 3 Disc", tHybrid, 104999, "TRK-FX3-D", nil},
		{"Verve 2", tHybrid, 79999, "TRK-VRV-2", nil},
		{"Allant+ 7", tEBike, 379999, "TRK-ALP-7", nil},
		{"Precaliber 24", tKids, 42999, "TRK-PRC-24", []string{"24in"}},
	}},
	{name: "Specialized", serial: "WSBC60#######a", weight: [3]int{20, 8, 8}, models: []model_{
		{"Tarmac SL7 Comp", tRoad, 469999, "SPZ-TAR-SL7C", nil},
		{"Allez Sport", tRoad, 139999, "SPZ-ALZ-SPT", nil},
		{"Roubaix Sport", tRoad, 349999, "SPZ-RBX-SPT", nil},
		{"Diverge Comp E5", tGravel, 299999, "SPZ-DVG-E5C", nil},
		{"Stumpjumper Comp", tMTB, 549999, "SPZ-STJ-CMP", nil},
		{"Rockhopper Sport", tMTB, 79999, "SPZ-RKH-SPT", nil},
		{"Sirrus X 3.0", tHybrid, 114999, "SPZ-SRX-30", nil},
		{"Turbo Vado 4.0", tEBike, 449999, "SPZ-TVD-40", nil},
		{"Riprock 24", tKids, 54999, "SPZ-RPR-24", []string{"24in"}},
	}},
	{name: "Cannondale", serial: "C1##a######", weight: [3]int{12, 5, 3}, models: []model_{
		{"SuperSix EVO 4", tRoad, 329999, "CDL-SSE-4", nil},
		{"Synapse Carbon 3 L", tRoad, 319999, "CDL-SYN-C3L", nil},
		{"Topstone Carbon 4", tGravel, 299999, "CDL-TOP-C4", nil},
		{"Trail 5", tMTB, 94999, "CDL-TRL-5", nil},
		{"Quick 4", tHybrid, 79999, "CDL-QCK-4", nil},
		{"Treadwell 3", tHybrid, 69999, "CDL-TRD-3", nil},
	}},
	{name: "Giant", serial: "GA1y#######", sizes: sizeLetters, weight: [3]int{14, 8, 4}, models: []model_{
		{"TCR Advanced 2", tRoad, 249999, "GNT-TCR-A2", nil},
		{"Defy Advanced 3", tRoad, 229999, "GNT-DFY-A3", nil},
		{"Contend AR 3", tRoad, 99999, "GNT-CTD-AR3", nil},
		{"Revolt 2", tGravel, 149999, "GNT-RVT-2", nil},
		{"Trance X 29 2", tMTB, 359999, "GNT-TRX-292", nil},
		{"Talon 2", tMTB, 84999, "GNT-TAL-2", nil},
		{"Escape 3", tHybrid, 54999, "GNT-ESC-3", nil},
		{"Explore E+ 2", tEBike, 359999, "GNT-EXP-E2", nil},
		{"ARX 24", tKids, 39999, "GNT-ARX-24", []string{"24in"}},
	}},
	{name: "捷安特", serial: "GCy#######a", sizes: sizeLetters, weight: [3]int{0, 0, 26}, models: []model_{
		{"TCR ADV 2", tRoad, 179999, "GCN-TCR-A2", nil},
		{"SCR 2", tRoad, 69999, "GCN-SCR-2", nil},
		{"ATX 830", tMTB, 49999, "GCN-ATX-830", nil},
		{"Escape 2", tHybrid, 44999, "GCN-ESC-2", nil},
		{"FastRoad SL 1", tHybrid, 89999, "GCN-FRD-SL1", nil},
		{"Momentum iNeed", tEBike, 169999, "GCN-MOM-INE", nil},
		{"XTC 20", tKids, 29999, "GCN-XTC-20", []string{"20in"}},
	}},
	{name: "Canyon", serial: "CFy#######", sizes: sizeLetters, weight: [3]int{6, 18, 3}, models: []model_{
		{"Ultimate CF SL 7", tRoad, 259900, "CNY-ULT-SL7", nil},
		{"Endurace CF 7", tRoad, 239900, "CNY-END-CF7", nil},
		{"Grail CF SL 7", tGravel, 279900, "CNY-GRL-SL7", nil},
		{"Grizl CF SL 6", tGravel, 199900, "CNY-GRZ-SL6", nil},
		{"Spectral 125 CF 7", tMTB, 399900, "CNY-SPC-125", nil},
		{"Neuron 6", tMTB, 219900, "CNY-NEU-6", nil},
		{"Roadlite 6", tHybrid, 129900, "CNY-RDL-6", nil},
		{"Pathlite:ON 6", tEBike, 349900, "CNY-PTH-ON6", nil},
	}},
	{name: "Cube", serial: "WCBya######", sizes: sizeInches, weight: [3]int{3, 22, 3}, models: []model_{
		{"Attain GTC SL", tRoad, 189900, "CUB-ATN-GTC", nil},
		{"Nuroad Race", tGravel, 149900, "CUB-NRD-RC", nil},
		{"Reaction Pro", tMTB, 99900, "CUB-RCT-PRO", nil},
		{"Stereo ONE22 Pro", tMTB, 279900, "CUB-STR-122", nil},
		{"Nature EXC", tHybrid, 89900, "CUB-NAT-EXC", nil},
		{"Kathmandu Hybrid Pro 750", tEBike, 399900, "CUB-KTH-750", nil},
		{"Stereo Hybrid 140 HPC", tEBike, 549900, "CUB-STH-140", nil},
		{"Acid 240", tKids, 44900, "CUB-ACD-240", []string{"24in"}},
	}},
	{name: "Riese & Müller", serial: "RMy#######", weight: [3]int{2, 12, 0}, models: []model_{
		{"Supercharger5 GT vario", tEBike, 749900, "RM-SC5-GTV", []string{"49", "53", "57"}},
		{"Charger4 Mixte GT", tEBike, 599900, "RM-CH4-MXG", []string{"46", "50", "54"}},
		{"Load4 75 touring", tCargo, 899900, "RM-LD4-75T", nil},
		{"Multicharger Mixte GT", tCargo, 649900, "RM-MCH-MXG", nil},
	}},
	{name: "Brompton", serial: "ym######", sizes: sizeOne, weight: [3]int{3, 4, 2}, models: []model_{
		{"C Line Explore", tHybrid, 189900, "BRM-CL-EXP", nil},
		{"P Line Urban", tHybrid, 299900, "BRM-PL-URB", nil},
		{"Electric C Line", tEBike, 399900, "BRM-ECL-URB", nil},
	}},
	{name: "Surly", serial: "SUR#######", weight: [3]int{6, 2, 0}, models: []model_{
		{"Straggler", tGravel, 169900, "SRL-STR", nil},
		{"Cross-Check", tGravel, 139900, "SRL-CRC", nil},
		{"Disc Trucker", tRoad, 174900, "SRL-DTR", nil},
		{"Krampus", tMTB, 179900, "SRL-KRM", nil},
		{"Big Dummy", tCargo, 239900, "SRL-BDM", nil},
	}},
	{name: "Santa Cruz", serial: "SCBy######", sizes: sizeLetters, weight: [3]int{5, 2, 1}, models: []model_{
		{"Hightower C R", tMTB, 599900, "SCB-HTW-CR", nil},
		{"5010 C S", tMTB, 649900, "SCB-501-CS", nil},
		{"Tallboy C R", tMTB, 549900, "SCB-TLB-CR", nil},
		{"Stigmata C Rival", tGravel, 449900, "SCB-STG-CR", nil},
		{"Heckler 9", tEBike, 799900, "SCB-HCK-9", nil},
	}},
	{name: "woom", serial: "WM#######", weight: [3]int{3, 4, 1}, models: []model_{
		{"woom 3", tKids, 47900, "WOM-3", []string{"16in"}},
		{"woom 4", tKids, 54900, "WOM-4", []string{"20in"}},
		{"woom 5", tKids, 59900, "WOM-5", []string{"24in"}},
	}},
	{name: "Tern", serial: "TNy#######", sizes: sizeOne, weight: [3]int{3, 3, 2}, models: []model_{
		{"GSD S10", tCargo, 549900, "TRN-GSD-S10", nil},
		{"HSD P9", tCargo, 449900, "TRN-HSD-P9", nil},
		{"Vektron Q9", tEBike, 399900, "TRN-VKT-Q9", nil},
	}},
	{name: "Urban Arrow", serial: "UA#######", sizes: sizeOne, weight: [3]int{1, 4, 0}, models: []model_{
		{"Family Performance Line", tCargo, 699900, "UAR-FAM-PL", nil},
	}},
	{name: "Babboe", serial: "BB########", sizes: sizeOne, weight: [3]int{0, 3, 0}, models: []model_{
		{"Curve-E", tCargo, 399900, "BAB-CRV-E", nil},
		{"Big", tCargo, 179900, "BAB-BIG", nil},
	}},
	{name: "Gazelle", serial: "GZ########", weight: [3]int{2, 6, 0}, models: []model_{
		{"Ultimate C380 HMB", tEBike, 399900, "GAZ-ULT-C380", []string{"46", "53", "57", "61"}},
		{"Medeo T10", tEBike, 349900, "GAZ-MED-T10", []string{"46", "49", "54"}},
		{"Esprit", tHybrid, 89900, "GAZ-ESP", []string{"49", "53", "57"}},
	}},
	{name: "Haro", serial: "Hya######", weight: [3]int{2, 1, 1}, models: []model_{
		{"Downtown 18", tBMX, 39900, "HAR-DTN-18", []string{"20.5in TT"}},
		{"Leucadia", tBMX, 44900, "HAR-LEU", []string{"20.5in TT", "20.75in TT"}},
	}},
	{name: "Mongoose", serial: "SNM#######", weight: [3]int{2, 1, 1}, models: []model_{
		{"Legion L100", tBMX, 45900, "MGS-LGN-L100", []string{"20.75in TT", "21in TT"}},
	}},
	{name: "WeThePeople", serial: "WTP######a", weight: [3]int{1, 2, 1}, models: []model_{
		{"Arcade", tBMX, 59900, "WTP-ARC", []string{"20.5in TT", "21in TT"}},
	}},
	{name: "美利达", serial: "MDy#######", sizes: sizeInches, weight: [3]int{0, 1, 16}, models: []model_{
		{"Scultura 4000", tRoad, 199900, "MRD-SCU-4000", nil},
		{"Reacto 6000", tRoad, 379900, "MRD-RCT-6000", nil},
		{"Silex 400", tGravel, 169900, "MRD-SLX-400", nil},
		{"Big.Nine 300", tMTB, 89900, "MRD-B9-300", nil},
		{"Crossway 100", tHybrid, 59900, "MRD-CRW-100", nil},
		{"eSPRESSO 400 EQ", tEBike, 299900, "MRD-ESP-400", nil},
	}},
	{name: "喜德盛", serial: "XDSy######", sizes: sizeInches, weight: [3]int{0, 0, 12}, models: []model_{
		{"RC200", tRoad, 39900, "XDS-RC200", nil},
		{"逐日 RS680", tRoad, 119900, "XDS-RS680", nil},
		{"英雄 300", tMTB, 29900, "XDS-YX300", nil},
		{"Urban 100", tHybrid, 24900, "XDS-UB100", nil},
		{"小飞侠 20", tKids, 19900, "XDS-XFX-20", []string{"20in"}},
	}},
	{name: "永久", serial: "YJ########", sizes: sizeOne, weight: [3]int{0, 0, 8}, models: []model_{
		{"C1 城市通勤车", tHybrid, 19900, "YJ-C1", nil},
		{"YE 300 电助力", tEBike, 69900, "YJ-YE300", nil},
		{"三轮货运车", tCargo, 49900, "YJ-HY3", nil},
	}},
	{name: "凤凰", serial: "FH########", sizes: sizeOne, weight: [3]int{0, 0, 7}, models: []model_{
		{"Z1 城市车", tHybrid, 17900, "FH-Z1", nil},
		{"儿童自行车 16寸", tKids, 12900, "FH-KID-16", []string{"16in"}},
		{"BMX 20", tBMX, 19900, "FH-BMX-20", []string{"20in TT"}},
	}},
}

// Type mix per region (US, DE, CN): Germans buy e-bikes and cargo bikes, Shanghai commutes.
var typeWeights = [3][8]int{
	{20, 18, 20, 15, 12, 7, 4, 4},
	{15, 14, 12, 18, 25, 6, 8, 2},
	{22, 6, 20, 25, 15, 8, 2, 2},
}

var colours = []string{
	"Black", "Matte Black", "White", "Red", "Crimson", "Navy", "Deep Blue", "Sage Green",
	"Olive", "Gloss Orange", "Silver", "Gunmetal Grey", "Teal", "Purple Haze", "Yellow",
	"Sand", "Raw Carbon", "Forest Green", "Sky Blue", "Coral",
}

var (
	sizesCM      = []string{"49", "52", "54", "56", "58", "61"}
	sizesLetters = []string{"XS", "S", "M", "L", "XL"}
	sizesMTBIn   = []string{"15.5in", "17.5in", "19.5in", "21.5in"}
	sizesFlatIn  = []string{"17in", "19in", "21in"}
	sizesEBikeCM = []string{"46", "50", "55", "60"}
	sizesKids    = []string{"16in", "20in", "24in"}
	sizesBMX     = []string{"20.5in TT", "20.75in TT", "21in TT"}
	sizesOne     = []string{"One size"}
)

// frameSizes picks the list a shop would write on the ticket for this make and type.
func frameSizes(mk *make_, md *model_) []string {
	if md.sizes != nil {
		return md.sizes
	}
	switch md.typ {
	case tKids:
		return sizesKids
	case tBMX:
		return sizesBMX
	case tCargo:
		return sizesOne
	}
	switch mk.sizes {
	case sizeOne:
		return sizesOne
	case sizeLetters:
		return sizesLetters
	case sizeInches:
		if md.typ&tDrop != 0 || md.typ == tEBike {
			return sizesCM
		}
		if md.typ == tMTB {
			return sizesMTBIn
		}
		return sizesFlatIn
	}
	switch md.typ {
	case tRoad, tGravel:
		return sizesCM
	case tEBike:
		return sizesEBikeCM
	}
	return sizesLetters[1:]
}

// item is a catalogue entry priced in US cents; localPrice converts for other shops.
type item struct {
	sku, desc string
	usd       int64
}

// Labour.
var (
	labSvcBasic  = item{"LAB-SVC-B", "Basic service", 6500}
	labSvcFull   = item{"LAB-SVC-F", "Full service", 14500}
	labSvcEBike  = item{"LAB-SVC-EB", "E-bike service", 12000}
	labSvcCargo  = item{"LAB-SVC-CRG", "Cargo bike service", 12500}
	labBleed     = item{"LAB-BRK-BLD", "Brake bleed", 4500}
	labBrakeAdj  = item{"LAB-BRK-ADJ", "Brake adjustment", 2000}
	labPadFit    = item{"LAB-BRK-PAD", "Fit brake pads", 1500}
	labIndex     = item{"LAB-DRV-ADJ", "Gear indexing", 2000}
	labDrivetr   = item{"LAB-DRV-RPL", "Drivetrain replacement", 4000}
	labDeepClean = item{"LAB-DRV-CLN", "Drivetrain deep clean", 3500}
	labPuncture  = item{"LAB-TYR-PUN", "Puncture repair", 1500}
	labTyreFit   = item{"LAB-TYR-FIT", "Tyre fitting", 1500}
	labTubeless  = item{"LAB-TYR-TLS", "Tubeless setup", 3500}
	labTrue      = item{"LAB-WHL-TRU", "Wheel true", 2500}
	labSpoke     = item{"LAB-WHL-SPK", "Spoke replacement", 3000}
	labHub       = item{"LAB-HUB-SVC", "Hub service", 4000}
	labBB        = item{"LAB-BB-SVC", "Bottom bracket replacement", 3500}
	labHeadset   = item{"LAB-HS-SVC", "Headset service", 3000}
	labFork      = item{"LAB-SUS-FRK", "Fork lower service", 9500}
	labShock     = item{"LAB-SUS-SHK", "Shock air can service", 6500}
	labEDiag     = item{"LAB-EB-DIAG", "E-bike diagnostics", 5000}
	labEFirmware = item{"LAB-EB-FW", "Firmware update", 2500}
	labFit       = item{"LAB-FIT", "Bike fit", 15000}
	labCables    = item{"LAB-CBL", "Cable and housing replacement", 3000}
)

// Part classes: the concrete part depends on the bike, see parts.
const (
	pChain = iota
	pCassette
	pPads
	pRotor
	pOil
	pTube
	pTyre
	pSealant
	pValves
	pRimTape
	pShiftCable
	pBrakeCable
	pHanger
	pDerailleur
	pChainring
	pBB
	pHeadset
	pForkKit
	pShockKit
	pSpoke
	pSpeedSensor
	pCharger
	pBarTape
	pPedals
)

// partChoice is one candidate for a part class; a ticket draws uniformly among the candidates
// that fit the bike's type, so a road bike never gets an MTB cassette.
type partChoice struct {
	types int
	it    item
}

var parts = [...][]partChoice{
	pChain: {
		{tDrop, item{"SHI-CN-HG601", "Shimano 105 HG601 11-speed chain", 3299}},
		{tDrop, item{"KMC-CN-X11", "KMC X11 chain", 3499}},
		{tMTB, item{"SHI-CN-M6100", "Shimano Deore M6100 12-speed chain", 3499}},
		{tMTB, item{"SRM-CN-GX12", "SRAM GX Eagle chain", 4999}},
		{tEBike | tCargo, item{"KMC-CN-E11", "KMC e11 EPT e-bike chain", 4999}},
		{tHybrid | tKids | tCargo, item{"SHI-CN-HG71", "Shimano HG71 8-speed chain", 1599}},
		{tHybrid | tKids, item{"KMC-CN-Z8", "KMC Z8.3 chain", 1299}},
		{tBMX, item{"KMC-CN-Z510", "KMC Z510 BMX chain", 1299}},
	},
	pCassette: {
		{tDrop, item{"SHI-CS-R7000-1130", "Shimano 105 11-30T cassette", 5999}},
		{tDrop, item{"SRM-CS-PG1170-1132", "SRAM PG-1170 11-32T cassette", 6999}},
		{tMTB, item{"SHI-CS-M6100-1051", "Shimano Deore 10-51T cassette", 7999}},
		{tMTB, item{"SRM-CS-XG1275", "SRAM GX Eagle 10-52T cassette", 21999}},
		{tEBike, item{"SHI-CS-LG400-1150", "Shimano Linkglide 11-50T cassette", 8999}},
		{tHybrid | tKids | tCargo, item{"SHI-CS-HG41-1132", "Shimano HG41 8-speed cassette 11-32T", 2499}},
		{tBMX, item{"ODY-SP-25T", "Odyssey 25T sprocket", 2999}},
	},
	pPads: {
		{tDrop, item{"SHI-BP-L05A", "Shimano L05A resin disc pads (pair)", 1999}},
		{tMTB, item{"SHI-BP-J05A", "Shimano J05A resin disc pads (pair)", 1899}},
		{tMTB, item{"SRM-BP-ORG", "SRAM organic disc pads (pair)", 2299}},
		{tEBike | tCargo, item{"MAG-BP-9P", "Magura 9.P performance pads (pair)", 2799}},
		{tEBike | tCargo, item{"SHI-BP-N03A", "Shimano N03A metal disc pads (pair)", 2499}},
		{tHybrid | tKids, item{"KOO-BP-SAL", "Kool-Stop Salmon rim pads (pair)", 1499}},
		{tBMX, item{"ODY-BP-SLM", "Odyssey Slim Line brake pads (pair)", 1299}},
	},
	pRotor: {
		{tDisc, item{"SHI-RT-RT70-160", "Shimano RT70 160mm rotor", 4599}},
		{tMTB | tEBike | tCargo, item{"SHI-RT-MT800-203", "Shimano MT800 203mm rotor", 5999}},
	},
	pOil: {
		{tAll, item{"SHI-FL-MIN100", "Shimano mineral oil 100ml", 999}},
	},
	pTube: {
		{tRoad, item{"SCH-TB-700x28", "Schwalbe SV15 tube 700x25-32", 899}},
		{tGravel | tHybrid, item{"SCH-TB-700x40", "Schwalbe SV17 tube 700x35-45", 999}},
		{tMTB, item{"SCH-TB-29x24", "Schwalbe SV19 tube 29x2.1-2.6", 1099}},
		{tEBike, item{"SCH-TB-28x20", "Schwalbe SV17 tube 28x1.5-2.4", 1099}},
		{tKids | tBMX | tCargo, item{"SCH-TB-20", "Schwalbe AV7 tube 20in", 799}},
		{tKids | tCargo, item{"SCH-TB-24", "Schwalbe AV10 tube 24in", 899}},
	},
	pTyre: {
		{tRoad, item{"CON-TY-GP5000-28", "Continental GP5000 700x28", 7499}},
		{tGravel, item{"SCH-TY-GONE-40", "Schwalbe G-One Allround 700x40", 5999}},
		{tGravel, item{"WTB-TY-RID-45", "WTB Riddler 700x45", 5499}},
		{tMTB, item{"MAX-TY-DHF-25", "Maxxis Minion DHF 29x2.5", 8499}},
		{tMTB, item{"MAX-TY-REK-24", "Maxxis Rekon 29x2.4", 6999}},
		{tHybrid, item{"SCH-TY-MARA-40", "Schwalbe Marathon Plus 700x40", 6499}},
		{tEBike, item{"SCH-TY-MEP-50", "Schwalbe Marathon E-Plus 700x50", 7999}},
		{tKids | tBMX, item{"SCH-TY-BIGA-20", "Schwalbe Big Apple 20x2.0", 3499}},
		{tCargo, item{"SCH-TY-PCK-20", "Schwalbe Pick-Up 20x2.15", 5499}},
	},
	pSealant:     {{tAll, item{"STN-SEAL-60", "Stan's NoTubes sealant top-up 60ml", 599}}},
	pValves:      {{tAll, item{"STN-VLV-44", "Tubeless valves 44mm (pair)", 1999}}},
	pRimTape:     {{tAll, item{"STN-TAPE-25", "Tubeless rim tape 25mm", 1299}}},
	pShiftCable:  {{tAll, item{"JAG-CBL-SHF", "Jagwire shift cable and housing kit", 2499}}},
	pBrakeCable:  {{tAll, item{"JAG-CBL-BRK", "Jagwire brake cable and housing kit", 2299}}},
	pHanger:      {{tAll, item{"SRM-HGR-UDH", "SRAM UDH derailleur hanger", 2999}}},
	pDerailleur:  {{tDrop, item{"SHI-RD-R7000", "Shimano 105 R7000 rear derailleur", 6999}}, {tMTB | tEBike | tHybrid | tKids, item{"SHI-RD-M6100", "Shimano Deore M6100 rear derailleur", 7999}}},
	pChainring:   {{tDrop, item{"SHI-CR-R7000-50", "Shimano 105 chainring 50T", 5499}}, {tMTB | tEBike, item{"SHI-CR-M6100-32", "Shimano Deore chainring 32T", 3999}}},
	pBB:          {{tAll &^ tKids, item{"SHI-BB-MT800", "Shimano MT800 bottom bracket", 4499}}},
	pHeadset:     {{tAll, item{"FSA-HS-BRG", "FSA Orbit headset bearing set", 3499}}},
	pForkKit:     {{tMTB | tEBike, item{"FOX-SK-36", "Fox 36 lower leg service kit", 4999}}, {tMTB | tEBike, item{"RSX-SK-PIKE", "RockShox Pike 200h service kit", 5999}}},
	pShockKit:    {{tMTB, item{"RSX-SK-AIRCAN", "RockShox air can service kit", 3499}}},
	pSpoke:       {{tAll, item{"DTS-SPK-COMP", "DT Swiss Competition spoke and nipple", 299}}},
	pSpeedSensor: {{tEBike | tCargo, item{"BOS-SNS-SPD", "Bosch speed sensor", 4999}}},
	pCharger:     {{tEBike | tCargo, item{"BOS-CHG-4A", "Bosch 4A charger", 19999}}},
	pBarTape:     {{tDrop, item{"SUP-BT-KUSH", "Supacaz Super Sticky Kush bar tape", 4499}}},
	pPedals:      {{tDrop, item{"SHI-PD-R550", "Shimano R550 SPD-SL pedals", 7999}}, {tMTB | tGravel, item{"SHI-PD-M520", "Shimano M520 SPD pedals", 4499}}},
}

type labourPick struct {
	it         item
	p          float64 // probability the line is on the ticket
	qmin, qmax int
}

type partPick struct {
	class      int
	p          float64
	qmin, qmax int
}

// jobVariant ties complaints to the work that fixes them, so a ticket reads consistently.
type jobVariant struct {
	weight     int
	types      int
	complaints []string
	labour     []labourPick
	parts      []partPick
	waitNote   string // what a mechanic writes when this job is stuck on parts
}

var jobs = []jobVariant{
	{10, tAll &^ tBMX, []string{"gears skipping under load", "won't shift into the largest cog", "chain rubbing the front derailleur", "shifting sluggish since riding in the rain"},
		[]labourPick{{labIndex, 1, 1, 1}, {labCables, 0.3, 1, 1}},
		[]partPick{{pShiftCable, 0.3, 1, 1}, {pHanger, 0.1, 1, 1}}, "derailleur hanger on order"},
	{8, tAll, []string{"chain slipping on the smallest cogs", "chain stretched, told to come back", "clicking noise when pedalling hard", "chain keeps dropping"},
		[]labourPick{{labDrivetr, 1, 1, 1}, {labDeepClean, 0.3, 1, 1}},
		[]partPick{{pChain, 1, 1, 1}, {pCassette, 0.6, 1, 1}, {pChainring, 0.15, 1, 1}}, "cassette backordered at distributor"},
	{6, tDisc, []string{"front brake lever feels spongy", "rear brake lever pulls to the bar", "brakes lost power on long descents"},
		[]labourPick{{labBleed, 1, 1, 2}},
		[]partPick{{pOil, 0.8, 1, 1}, {pPads, 0.5, 1, 2}}, "bleed kit adaptor on order"},
	{8, tDisc, []string{"rear brake squeals", "grinding noise when braking", "brakes rubbing after a wheel change", "pads worn down to the metal"},
		[]labourPick{{labPadFit, 1, 1, 1}},
		[]partPick{{pPads, 1, 1, 2}, {pRotor, 0.25, 1, 1}}, "pads out of stock, ETA Friday"},
	{6, tHybrid | tKids | tBMX, []string{"brakes weak in the wet", "rear brake doesn't spring back", "brake cable frayed at the lever"},
		[]labourPick{{labBrakeAdj, 1, 1, 1}},
		[]partPick{{pPads, 0.8, 1, 2}, {pBrakeCable, 0.4, 1, 1}}, ""},
	{10, tAll, []string{"flat front tyre again", "slow leak in the rear tyre", "puncture on the way to work", "valve snapped off while pumping"},
		[]labourPick{{labPuncture, 1, 1, 1}},
		[]partPick{{pTube, 1, 1, 2}, {pRimTape, 0.1, 1, 1}}, ""},
	{5, tRoad | tGravel | tMTB, []string{"puncture rear, tubeless sealant dried", "tubeless tyre won't seal", "wants to go tubeless", "sealant spraying from the sidewall"},
		[]labourPick{{labTubeless, 1, 1, 1}},
		[]partPick{{pSealant, 1, 1, 2}, {pValves, 0.5, 1, 1}, {pRimTape, 0.4, 1, 2}, {pTyre, 0.3, 1, 1}}, "tubeless valves on order"},
	{6, tAll, []string{"tyre worn through to the casing", "sidewall cut on a gravel ride", "wants grippier tyres for winter", "tyres cracked from sitting in the garage"},
		[]labourPick{{labTyreFit, 1, 1, 2}},
		[]partPick{{pTyre, 1, 1, 2}, {pTube, 0.6, 1, 2}}, "tyre size not in stock, ordered"},
	{16, tAll &^ (tEBike | tCargo), []string{"annual service", "pre-season check", "service after winter commuting", "bought second-hand, wants a safety check", "tune-up before a charity ride"},
		[]labourPick{{labSvcBasic, 1, 1, 1}},
		[]partPick{{pChain, 0.35, 1, 1}, {pPads, 0.3, 1, 2}, {pShiftCable, 0.3, 1, 1}, {pTube, 0.15, 1, 1}}, "chain on backorder"},
	{7, tAll &^ (tEBike | tCargo | tKids | tBMX), []string{"full service before a tour", "full overhaul after a wet season", "hasn't been serviced in three years"},
		[]labourPick{{labSvcFull, 1, 1, 1}, {labBleed, 0.3, 1, 2}},
		[]partPick{{pChain, 0.7, 1, 1}, {pCassette, 0.4, 1, 1}, {pPads, 0.6, 1, 2}, {pShiftCable, 0.6, 1, 1}, {pBrakeCable, 0.3, 1, 1}, {pBarTape, 0.2, 1, 1}, {pTyre, 0.2, 1, 2}}, "waiting on cassette and chain"},
	{16, tEBike, []string{"annual e-bike service", "inspection before the warranty runs out", "service and software check"},
		[]labourPick{{labSvcEBike, 1, 1, 1}, {labEFirmware, 0.4, 1, 1}},
		[]partPick{{pChain, 0.5, 1, 1}, {pPads, 0.5, 1, 2}, {pTyre, 0.15, 1, 2}}, "Bosch parts on order"},
	{16, tCargo, []string{"annual cargo bike service", "cargo box hinge loose", "brakes weak when fully loaded", "chain keeps dropping with the kids on board"},
		[]labourPick{{labSvcCargo, 1, 1, 1}},
		[]partPick{{pChain, 0.4, 1, 1}, {pPads, 0.6, 1, 2}, {pTyre, 0.2, 1, 1}}, "box hinge ordered from the manufacturer"},
	{5, tAll, []string{"rear wheel out of true", "wheel wobbles after a pothole", "rim rubbing the brake"},
		[]labourPick{{labTrue, 1, 1, 2}}, nil, ""},
	{3, tAll &^ tKids, []string{"broken spoke on the rear", "spoke snapped on the drive side"},
		[]labourPick{{labSpoke, 1, 1, 1}, {labTrue, 0.5, 1, 1}},
		[]partPick{{pSpoke, 1, 1, 3}}, "spokes in this length on order"},
	{2, tAll &^ tKids, []string{"rear hub feels rough", "freehub slips when pedalling"},
		[]labourPick{{labHub, 1, 1, 1}}, nil, ""},
	{3, tAll &^ tKids, []string{"creaking from the bottom bracket", "creak on every pedal stroke"},
		[]labourPick{{labBB, 1, 1, 1}},
		[]partPick{{pBB, 0.8, 1, 1}}, "BB for this shell size on order"},
	{3, tAll, []string{"creaking from the headset", "knocking at the front when braking", "steering feels notchy"},
		[]labourPick{{labHeadset, 1, 1, 1}},
		[]partPick{{pHeadset, 0.6, 1, 1}}, ""},
	{8, tMTB, []string{"fork feels sticky", "fork lower service due", "oil on the fork stanchions"},
		[]labourPick{{labFork, 1, 1, 1}},
		[]partPick{{pForkKit, 1, 1, 1}}, "fork seal kit on order"},
	{4, tMTB, []string{"rear shock losing air", "rear shock sags overnight"},
		[]labourPick{{labShock, 1, 1, 1}},
		[]partPick{{pShockKit, 0.8, 1, 1}}, "shock service kit on order"},
	{14, tEBike | tCargo, []string{"motor cuts out under load", "display shows error 503", "speed sensor error on the display", "assist cuts out early", "battery won't charge"},
		[]labourPick{{labEDiag, 1, 1, 1}, {labEFirmware, 0.5, 1, 1}},
		[]partPick{{pSpeedSensor, 0.3, 1, 1}, {pCharger, 0.1, 1, 1}}, "warranty claim with Bosch open"},
	{3, tRoad | tGravel | tMTB | tBMX | tKids, []string{"crashed, derailleur hanger bent", "rear derailleur hit a rock", "handlebar twisted after a fall"},
		[]labourPick{{labIndex, 1, 1, 1}, {labBrakeAdj, 0.3, 1, 1}},
		[]partPick{{pHanger, 0.7, 1, 1}, {pDerailleur, 0.3, 1, 1}, {pBarTape, 0.3, 1, 1}}, "derailleur on order"},
	{2, tDrop, []string{"wants a bike fit", "knee pain on longer rides, wants a fit", "fit new pedals and bar tape"},
		[]labourPick{{labFit, 1, 1, 1}},
		[]partPick{{pBarTape, 0.3, 1, 1}, {pPedals, 0.2, 1, 1}}, ""},
}

// Retail items for the sales counter, with relative frequency.
type retail struct {
	it     item
	weight int
	qmax   int
}

var accessories = []retail{
	{item{"SCH-TB-700x28", "Schwalbe SV15 tube 700x25-32", 899}, 30, 3},
	{item{"SCH-TB-29x24", "Schwalbe SV19 tube 29x2.1-2.6", 1099}, 15, 2},
	{item{"CON-TY-GP5000-28", "Continental GP5000 700x28", 7499}, 8, 2},
	{item{"SCH-TY-MARA-40", "Schwalbe Marathon Plus 700x40", 6499}, 8, 2},
	{item{"MUC-LUB-DRY", "Muc-Off Dry lube 120ml", 1199}, 20, 2},
	{item{"FIN-LUB-WET", "Finish Line Wet lube 120ml", 999}, 12, 1},
	{item{"MUC-CLN-1L", "Muc-Off Nano Tech bike cleaner 1L", 1999}, 10, 1},
	{item{"ELT-BTL-750", "Elite Fly bottle 750ml", 1299}, 18, 2},
	{item{"ELT-CAG-CNT", "Elite Custom Race bottle cage", 1999}, 8, 2},
	{item{"LEZ-LT-MICRO", "Lezyne Micro Drive 800+ front light", 7499}, 9, 1},
	{item{"KNG-LT-BLDR", "Knog Blinder rear light", 4499}, 9, 1},
	{item{"ABUS-LK-GRN", "ABUS Granit X-Plus 540 U-lock", 12999}, 6, 1},
	{item{"KRY-LK-EVO", "Kryptonite Evolution Mini-7 lock", 8999}, 6, 1},
	{item{"GIRO-HLM-SYNT", "Giro Syntax MIPS helmet", 14999}, 6, 1},
	{item{"BERN-HLM-WATTS", "Bern Watts 2.0 helmet", 9999}, 5, 1},
	{item{"WOM-HLM-KIDS", "woom kids helmet", 7999}, 3, 1},
	{item{"LEZ-PMP-FLR", "Lezyne Sport Floor Drive pump", 6999}, 5, 1},
	{item{"TOP-PMP-MINI", "Topeak Mini Morph pump", 3999}, 6, 1},
	{item{"CRK-TL-M19", "Crankbrothers M19 multi-tool", 3999}, 5, 1},
	{item{"GIRO-GLV-DND", "Giro DND gloves", 2999}, 7, 1},
	{item{"RPH-JRS-CORE", "Rapha Core jersey", 8999}, 4, 1},
	{item{"RPH-BIB-CORE", "Rapha Core bib shorts", 12999}, 3, 1},
	{item{"SPZ-SDL-PWR", "Specialized Power Comp saddle", 12999}, 3, 1},
	{item{"ORT-BAG-BRC", "Ortlieb Back-Roller Classic panniers (pair)", 17999}, 3, 1},
	{item{"SKS-MG-BLMT", "SKS Bluemels mudguard set", 4999}, 5, 1},
	{item{"SHI-PD-R550", "Shimano R550 SPD-SL pedals", 7999}, 3, 1},
	{item{"SHI-PD-M520", "Shimano M520 SPD pedals", 4499}, 4, 1},
	{item{"SHI-SH-RC3", "Shimano RC3 road shoes", 12999}, 2, 1},
	{item{"GAR-EDG-540", "Garmin Edge 540 computer", 34999}, 1, 1},
	{item{"WAH-ELM-BLT", "Wahoo ELEMNT Bolt computer", 27999}, 1, 1},
	{item{"THU-SEAT-YPX", "Thule Yepp Maxi child seat", 17999}, 1, 1},
	{item{"KNG-BELL-OI", "Knog Oi bell", 2499}, 6, 1},
	{item{"PLT-KS-ESG", "Pletscher ESGE kickstand", 2999}, 3, 1},
	{item{"STN-SEAL-500", "Stan's NoTubes sealant 500ml", 2499}, 4, 1},
	{item{"GIFT-CARD-50", "Gift card", 5000}, 2, 2},
}

// Things bought with a new bike.
var bikeAddOns = []item{
	{"GIRO-HLM-SYNT", "Giro Syntax MIPS helmet", 14999},
	{"ABUS-LK-GRN", "ABUS Granit X-Plus 540 U-lock", 12999},
	{"SHI-PD-M520", "Shimano M520 SPD pedals", 4499},
	{"LEZ-LT-MICRO", "Lezyne Micro Drive 800+ front light", 7499},
	{"ELT-BTL-750", "Elite Fly bottle 750ml", 1299},
	{"LAB-FIT", "Bike fit", 15000},
}
