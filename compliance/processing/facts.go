package processing

// The facts. Each changes here and nowhere else: the record, the notice and the subject
// export read them.

// fieldNames names every Personal column of store/schema.go's registry.
var fieldNames = map[string]Text{
	"users.display_name":    tx("Staff member's display name", "员工显示名称"),
	"alerts.note":           tx("Reviewer's note on a staff-behaviour alert", "员工行为警报的审查备注"),
	"customers.name":        tx("Name", "姓名"),
	"customers.email":       tx("E-mail address", "电子邮箱"),
	"customers.phone":       tx("Phone number", "电话号码"),
	"customers.address":     tx("Postal address", "邮寄地址"),
	"customers.birthday":    tx("Date of birth", "出生日期"),
	"customers.notes":       tx("Notes about the customer", "关于客户的备注"),
	"customers.phone_alt":   tx("Second phone number", "第二个电话号码"),
	"customers.source":      tx("Customer number in the shop's previous system (kept for re-imports)", "门店原系统中的客户编号（用于再次导入）"),
	"bikes.serial":          tx("Bike frame serial number", "车架序列号"),
	"bikes.notes":           tx("Bike fit and service notes (e.g. saddle height)", "车辆调校与保养备注（如座高）"),
	"work_orders.complaint": tx("Repair request: what the customer reported", "维修需求：客户描述的问题"),
	"work_orders.notes":     tx("Work order notes", "工单备注"),
}

// linkedCategories are business columns that are personal data once linked to a person.
var linkedCategories = []Category{
	{Key: "bike-details", Subject: "customer", Name: tx("Bike details: make, model, year, type, frame size, colour", "车辆信息：品牌、型号、年份、类型、车架尺寸、颜色")},
	{Key: "repair-history", Subject: "customer", Name: tx("Repair history: status, dates, labour and parts lines, amounts", "维修记录：状态、日期、工时与配件明细、金额")},
	{Key: "purchase-history", Subject: "customer", Name: tx("Purchase history: items, amounts, dates, payment method", "购买记录：商品、金额、日期、支付方式")},
	{Key: "consents", Subject: "customer", Name: tx("Consent records: purpose, time, source, notice version, withdrawal", "同意记录：目的、时间、来源、告知版本、撤回")},
	{Key: "recall-notices", Subject: "customer", Name: tx("Recall notices: which brand recall, which bike, channel, outcome, when, by which role", "召回通知：哪项品牌召回、哪辆车、渠道、结果、时间、由哪个岗位记录")},
	{Key: "requests", Subject: "customer", Name: tx("Privacy requests: type, dates, identity check, answer", "隐私请求：类型、日期、身份核验、答复")},
	{Key: "access-log", Subject: "customer", Name: tx("Access log: which record was read or changed, when, by which role, and why for break-glass reads", "访问日志：哪条记录在何时被哪个岗位读取或修改，以及紧急访问的理由")},
	{Key: "staff-account", Subject: "staff", Name: tx("Staff account: username, roles, shop, sign-in times", "员工账户：用户名、岗位、门店、登录时间")},
}

var subjects = []Item{
	{Key: "customers", Name: tx("Customers", "客户"), Text: tx("People who buy from the shop or bring a bike for service, including people who ask for a quote.", "在门店购买商品或送修车辆的人，包括询价的人。")},
	{Key: "staff", Name: tx("Staff", "员工"), Text: tx("The shop's employees who use Spoke.", "使用 Spoke 的门店员工。")},
}

var purposes = []Purpose{
	{Key: "service", Name: tx("Service and repairs", "维修保养"),
		Description: tx("Taking in a bike, recording what is wrong, doing the work, telling the customer when it is ready.", "接收车辆、记录故障、完成维修、通知客户取车。"),
		Basis:       tx("Contract (GDPR Art. 6(1)(b); PIPL Art. 13(1)(2))", "履行合同（GDPR 第 6(1)(b) 条；PIPL 第 13 条第一款第（二）项）"),
		Categories:  []string{"customers.name", "customers.phone", "customers.phone_alt", "customers.email", "customers.notes", "customers.source", "bikes.serial", "bikes.notes", "work_orders.complaint", "work_orders.notes", "bike-details", "repair-history"}},
	{Key: "sales", Name: tx("Sales and invoices", "销售与发票"),
		Description: tx("Selling goods and services, issuing invoices, keeping the books.", "销售商品和服务、开具发票、记账。"),
		Basis:       tx("Contract and legal obligation (GDPR Art. 6(1)(b), (c); PIPL Art. 13(1)(2), (3))", "履行合同及法定义务（GDPR 第 6(1)(b)、(c) 条；PIPL 第 13 条第一款第（二）、（三）项）"),
		Categories:  []string{"customers.name", "customers.email", "customers.address", "purchase-history", "repair-history"}},
	{Key: "reminders", Name: tx("Service reminders", "保养提醒"),
		Description: tx("Telling a customer a service is due for their bike.", "提醒客户其车辆应进行保养。"),
		Basis:       tx("Consent (GDPR Art. 6(1)(a); PIPL Art. 13(1)(1))", "同意（GDPR 第 6(1)(a) 条；PIPL 第 13 条第一款第（一）项）"),
		Categories:  []string{"customers.name", "customers.email", "customers.phone", "bike-details", "repair-history", "consents"}},
	{Key: "marketing", Name: tx("Marketing by e-mail and SMS", "电子邮件和短信营销"),
		Description: tx("News and offers to customers who asked for them; campaigns reach only consented customers, staff see no raw list. "+
			"A campaign's audience is chosen by shop, bike type and make, purchase dates, last service and amount spent; marketing staff see only counts (groups under 5 hidden), and each shop's own device sends to its consented customers. "+
			"We do not track whether you open our messages or click their links: no tracking pixel, no redirect links. The only code of yours in a message is its unsubscribe link, which does nothing until you use it to stop our messages.",
			"向同意接收的客户发送资讯和优惠；营销活动只触达已同意的客户，员工看不到原始名单。"+
				"营销活动的受众按门店、车辆类型和品牌、购买日期、最近保养及消费金额选择；市场人员只看到人数（少于 5 人的组不显示），由各门店自己的设备向已同意的客户发送。"+
				"我们不追踪您是否打开邮件或点击其中的链接：没有跟踪像素、没有跳转链接。邮件中唯一与您有关的代码是退订链接，只有在您用它停止接收我们的邮件时才会起作用。"),
		Basis:      tx("Consent, withdrawable at any time (GDPR Art. 6(1)(a), 7(3), 21(2); PIPL Art. 13(1)(1), 15)", "同意，可随时撤回（GDPR 第 6(1)(a)、7(3)、21(2) 条；PIPL 第 13 条第一款第（一）项、第 15 条）"),
		Categories: []string{"customers.name", "customers.email", "customers.phone", "bike-details", "purchase-history", "repair-history", "consents"}},
	{Key: "warranty", Name: tx("Warranty registration with brands", "向品牌登记保修"),
		Description: tx("Registering a bike or part with its manufacturer so the warranty applies.", "向车辆或零件的制造商登记，以便享受保修。"),
		Basis:       tx("Consent to the sharing (GDPR Art. 6(1)(a); PIPL Art. 23 separate consent)", "对共享的同意（GDPR 第 6(1)(a) 条；PIPL 第 23 条单独同意）"),
		Categories:  []string{"customers.name", "customers.email", "customers.address", "bikes.serial", "bike-details", "purchase-history", "consents"}},
	{Key: "recalls", Name: tx("Safety recalls", "安全召回"),
		Description: tx("Finding the bikes a brand recalls (by make, model, model year and frame serial) and telling their owners; who was told, how and when is recorded. Not marketing: no marketing consent is asked, and a withdrawal of marketing consent does not stop a recall notice.", "查找品牌召回的车辆（按品牌、型号、年款和车架号）并通知车主；记录通知了谁、方式和时间。这不是营销：不需要营销同意，撤回营销同意也不会停止召回通知。"),
		Basis:       tx("Legal obligation (product safety) (GDPR Art. 6(1)(c); PIPL Art. 13(1)(3))", "法定义务（产品安全）（GDPR 第 6(1)(c) 条；PIPL 第 13 条第一款第（三）项）"),
		Categories:  []string{"customers.name", "customers.email", "customers.phone", "customers.address", "bikes.serial", "bike-details", "recall-notices"}},
	{Key: "sync", Name: tx("Sync between the shop's devices through the hub", "通过中心服务器在门店设备间同步"),
		Description: tx("Keeping the counter, the workshop and the manager's laptop up to date; the hub relays sealed change-sets it cannot read.", "让收银台、车间和店长电脑的数据保持一致；中心服务器只中转它无法读取的加密变更集。"),
		Basis:       tx("Legitimate interest in running the shop's records on more than one device (GDPR Art. 6(1)(f)); necessary for the contract (PIPL Art. 13(1)(2))", "在多台设备上管理门店记录的正当利益（GDPR 第 6(1)(f) 条）；为履行合同所必需（PIPL 第 13 条第一款第（二）项）"),
		Categories:  []string{"*"}},
	{Key: "backups", Name: tx("Backups", "备份"),
		Description: tx("Encrypted backups and restore drills, so the records survive a lost or broken computer.", "加密备份与恢复演练，使记录在电脑丢失或损坏后仍可恢复。"),
		Basis:       tx("Legal obligation to keep data available and secure (GDPR Art. 6(1)(c), 32(1)(c); PIPL Art. 51)", "确保数据可用与安全的法定义务（GDPR 第 6(1)(c)、32(1)(c) 条；PIPL 第 51 条）"),
		Categories:  []string{"*"}},
	{Key: "security", Name: tx("Security and audit", "安全与审计"),
		Description: tx("Recording who read or changed what, detecting misuse (an unusual-behaviour detector over staff's audited actions, on the shop's own devices; alerts reviewed by the owner or manager), proving the records were not altered.", "记录谁读取或修改了什么、发现滥用（在门店自己的设备上对员工被审计的操作进行异常行为检测；警报由店主或店长审查）、证明记录未被篡改。"),
		Basis:       tx("Legal obligation and legitimate interest (GDPR Art. 5(2), 6(1)(c), (f), 32; PIPL Art. 9, 51)", "法定义务及正当利益（GDPR 第 5(2)、6(1)(c)、(f)、32 条；PIPL 第 9、51 条）"),
		Categories:  []string{"access-log", "staff-account", "users.display_name", "alerts.note"}},
}

var recipients = []Recipient{
	{Key: "owner", Name: tx("Owner", "店主"), Sees: tx("Every shop's customers, the audit trail, staff and devices.", "所有门店的客户、审计记录、员工和设备。")},
	{Key: "manager", Name: tx("Shop manager", "店长"), Sees: tx("The customers and audit trail of their own shop; answers privacy requests for it.", "本门店的客户和审计记录；处理本门店的隐私请求。")},
	{Key: "sales", Name: tx("Salesperson", "销售员"), Sees: tx("Their own customers; another salesperson's customer only with a recorded reason (break-glass), name, phone, bikes and jobs only.", "自己的客户；其他销售员的客户只能在记录理由后（紧急访问）查看姓名、电话、车辆和工单。")},
	{Key: "mechanic", Name: tx("Mechanic", "技师"), Sees: tx("Name and phone of the customers whose open jobs are assigned to them, and those jobs.", "分配给自己的未完成工单及其客户的姓名和电话。")},
	{Key: "marketing", Name: tx("Marketing", "市场人员"), Sees: tx("Aggregate statistics (small groups suppressed) and campaigns to consented customers; no list of personal data.", "汇总统计（小样本隐藏）及面向已同意客户的营销活动；看不到个人信息名单。")},
	{Key: "auditor", Name: tx("Auditor", "审计员"), Sees: tx("The audit trail without personal data or break-glass reasons.", "不含个人信息和紧急访问理由的审计记录。")},
	{Key: "hub", Name: tx("The hub operator", "中心服务器运营方"), Sees: tx("Only ciphertext: sealed change-sets, signed key envelopes and device certificates. It holds no key and cannot read customer data.", "只有密文：加密变更集、签名的密钥信封和设备证书。它不持有密钥，无法读取客户数据。")},
	{Key: "brands", Name: tx("Bike and parts brands", "自行车及零件品牌"), Sees: tx("What warranty registration needs, only when the customer consents to that sharing.", "保修登记所需的信息，仅在客户同意共享时提供。")},
	{Key: "backup-medium", Name: tx("Processors: backup medium (disk, network share)", "受托处理方：备份介质（磁盘、网络共享）"), Sees: tx("Encrypted backup files only.", "仅加密的备份文件。")},
	{Key: "messaging", Name: tx("Processors: e-mail and SMS services the shop uses", "受托处理方：门店使用的电子邮件和短信服务"), Sees: tx("The address or number and the message, for consented reminders and marketing.", "已同意的提醒和营销所需的地址或号码及消息内容。")},
	{Key: "authorities", Name: tx("Tax authorities and auditors", "税务机关及审计师"), Sees: tx("Invoices and books, where the law requires.", "法律要求时提供发票和账簿。")},
}

func transfers(hub string) []Transfer {
	where := tx("The hub's location as configured", "按配置的中心服务器所在地")
	if hub != "" {
		where = tx("The hub: "+hub, "中心服务器："+hub)
	}
	return []Transfer{
		{Key: "hub", Where: where,
			What: tx("Every record of the shop, as sealed change-sets.", "门店的全部记录，以加密变更集的形式。"),
			Safeguards: tx("End-to-end encryption: personal fields are sealed with AES-256-GCM under each customer's own key before they leave the device; keys travel only to enrolled devices, sealed with HPKE (ML-KEM-768 + X25519); mutual TLS 1.3 with pinned certificates. The hub operator cannot read what it holds. For shops in mainland China, a customer's data leaves the shop through a hub outside it only with the customer's separate consent (PIPL Art. 38, 39).",
				"端到端加密：个人信息字段在离开设备前即以每位客户各自的密钥通过 AES-256-GCM 加密；密钥只发送给已登记的设备，并以 HPKE（ML-KEM-768 + X25519）封装；双向 TLS 1.3 并固定证书。中心服务器运营方无法读取其保存的内容。对中国大陆的门店，仅在客户单独同意后，其数据才会经由境外的中心服务器离开门店（PIPL 第 38、39 条）。")},
		{Key: "brands", Where: tx("The brand's country, named when the customer consents", "品牌所在国家或地区，在客户同意时告知"),
			What:       tx("What warranty registration needs.", "保修登记所需的信息。"),
			Safeguards: tx("Only with the customer's consent to that sharing; for a transfer abroad, separate consent (PIPL Art. 39) and the safeguards the law requires (GDPR Art. 46, e.g. standard contractual clauses) where no adequacy decision applies.", "仅在客户同意共享后进行；向境外提供时，取得单独同意（PIPL 第 39 条），并在无充分性认定时采取法律要求的保障措施（GDPR 第 46 条，如标准合同条款）。")},
		{Key: "backups", Where: tx("The backup folder the shop configured", "门店配置的备份文件夹"),
			What:       tx("Full, differential and incremental backups.", "完整、差异和增量备份。"),
			Safeguards: tx("Encrypted and authenticated, with signed manifests; an automatic restore drill after each backup.", "加密并认证，附签名清单；每次备份后自动进行恢复演练。")},
	}
}

func retention(o Options) []Retention {
	years, months := tx("years", "年"), tx("months", "个月")
	return []Retention{
		{Key: "sales", What: tx("Sales, invoices and the amounts of work orders", "销售、发票及工单金额"),
			Period: tx("10 years from the end of the year", "自当年年末起 10 年"),
			Basis: tx("DE: HGB §257, AO §147 (books 10 years; accounting vouchers such as invoices 8 years since 2025, so 10 covers both); US: as state tax rules require; CN: the Accounting Archives Measures (会计档案管理办法) keep vouchers 30 years, so a mainland shop sets a longer period. After an erasure the amounts and dates stay, anonymised.",
				"德国：《商法典》（HGB）第 257 条、《税收通则》（AO）第 147 条（账簿 10 年；发票等会计凭证自 2025 年起 8 年，10 年可同时满足）；美国：依各州税务规定；中国：《会计档案管理办法》规定会计凭证保存 30 年，中国大陆门店应设置更长期限。删除个人信息后，金额和日期以匿名方式保留。")},
		{Key: "customers", What: tx("Customer contact details, bikes, notes and work-order text", "客户联系方式、车辆、备注及工单文字"),
			Period: tx("While the customer is active; anonymised after "+orConfigured(o.InactiveYears, years).En+" without activity", "客户活跃期间；无活动满"+orConfigured(o.InactiveYears, years).Zh+"后匿名化"),
			Basis:  tx("Storage limitation (GDPR Art. 5(1)(e); PIPL Art. 19)", "存储限制原则（GDPR 第 5(1)(e) 条；PIPL 第 19 条）")},
		{Key: "deleted", What: tx("Customers deleted at the counter", "在门店删除的客户"),
			Period: tx("Recoverable for 30 days, then erased by destroying the customer's key", "30 天内可恢复，之后通过销毁该客户的密钥予以删除"),
			Basis:  tx("Protection against mistakes; erasure (GDPR Art. 17; PIPL Art. 47)", "防止误删；删除权（GDPR 第 17 条；PIPL 第 47 条）")},
		{Key: "consents", What: tx("Consent records", "同意记录"),
			Period: tx("With the customer record; every grant and withdrawal kept, never overwritten", "与客户记录一同保存；每次同意和撤回均保留，不覆盖"),
			Basis:  tx("Proof of consent (GDPR Art. 7(1))", "证明已取得同意（GDPR 第 7(1) 条）")},
		{Key: "requests", What: tx("Log of privacy requests", "隐私请求记录"),
			Period: tx("At least 24 months, under a pseudonymous id, also after an erasure", "至少 24 个月，以假名标识保存，删除个人信息后仍保留"),
			Basis:  tx("CCPA regulations, 11 CCR §7101; accountability (GDPR Art. 5(2))", "CCPA 实施条例 11 CCR §7101；问责原则（GDPR 第 5(2) 条）")},
		{Key: "audit", What: tx("Audit trail", "审计记录"),
			Period: tx(orConfigured(o.AuditYears, years).En+"; break-glass reasons expire after "+orConfigured(o.ReasonMonths, months).En, orConfigured(o.AuditYears, years).Zh+"；紧急访问理由在"+orConfigured(o.ReasonMonths, months).Zh+"后失效"),
			Basis:  tx("Security of processing and accountability (GDPR Art. 5(2), 32; PIPL Art. 51)", "处理安全与问责（GDPR 第 5(2)、32 条；PIPL 第 51 条）")},
		{Key: "backups", What: tx("Backups", "备份"),
			Period: tx("As many full backups as the schedule keeps; an erased customer is rewritten out of the configured backup folder, and erased again on any restore", "按备份计划保留的完整备份数量；已删除的客户会从配置的备份文件夹中移除，任何恢复时都会再次删除"),
			Basis:  tx("Availability (GDPR Art. 32(1)(c))", "可用性（GDPR 第 32(1)(c) 条）")},
		{Key: "assessments", What: tx("Personal-information impact assessments", "个人信息保护影响评估"),
			Period: tx("3 years", "3 年"),
			Basis:  tx("PIPL Art. 56", "PIPL 第 56 条")},
		{Key: "staff", What: tx("Staff accounts", "员工账户"),
			Period: tx("While employed; then deactivated, kept as long as the audit trail names them", "在职期间；离职后停用，在审计记录引用期间保留"),
			Basis:  tx("Security and accountability", "安全与问责")},
	}
}

var sources = []Item{
	{Key: "counter", Name: tx("At the counter", "门店柜台"), Text: tx("The customer tells staff in person or by phone.", "客户当面或通过电话告知员工。")},
	{Key: "web", Name: tx("Web form", "网页表单"), Text: tx("The customer fills in the shop's form.", "客户填写门店的表单。")},
	{Key: "paper", Name: tx("Paper form", "纸质表格"), Text: tx("A signed form typed in by staff.", "由员工录入的签字表格。")},
	{Key: "import", Name: tx("Import", "导入"), Text: tx("Records brought over from the shop's previous system.", "从门店以前的系统迁移过来的记录。")},
	{Key: "staff", Name: tx("The shop's staff", "门店员工"), Text: tx("Repair findings, work orders and sales the staff record.", "员工记录的维修检查结果、工单和销售。")},
}

var erasureLimits = []Item{
	{Key: "sales", Name: tx("Sale amounts and dates", "销售金额和日期"), Text: tx("Kept, anonymised (no name, contact or link to the person), for as long as tax law requires.", "按税法要求的期限保留，并匿名化（不含姓名、联系方式，也无法关联到本人）。")},
	{Key: "requests", Name: tx("The request log", "请求记录"), Text: tx("Kept under a pseudonymous id for 24 months, to prove the request was answered.", "以假名标识保留 24 个月，以证明已答复请求。")},
	{Key: "ledger", Name: tx("The erasure ledger", "删除台账"), Text: tx("A pseudonymous id, so that restoring an older backup erases the person again before the data opens.", "一个假名标识，使恢复旧备份时在数据打开前再次删除该客户。")},
	{Key: "audit", Name: tx("Audit entries", "审计条目"), Text: tx("Kept; they hold ids, actions and field names, never values.", "保留；其中只有标识、操作和字段名称，不含具体内容。")},
	{Key: "copies", Name: tx("Copies elsewhere", "其他地方的副本"), Text: tx("Old change-sets at the hub and backups kept outside the configured folder stay unreadable: the customer's key is destroyed on every device.", "中心服务器上的旧变更集以及配置文件夹之外的备份将无法读取：该客户的密钥已在所有设备上销毁。")},
}

var security = []Item{
	{Key: "dek", Name: tx("A key per customer", "每位客户一把密钥"), Text: tx("Each customer's personal fields are sealed under their own data key; destroying it erases every copy at once (crypto-shredding).", "每位客户的个人信息字段都以其专属数据密钥加密；销毁该密钥即可一次性删除所有副本（加密粉碎）。")},
	{Key: "aead", Name: tx("AES-256-GCM field encryption", "AES-256-GCM 字段加密"), Text: tx("Bound to table, row and column, so a value cannot be moved to another record.", "与表、行和列绑定，密文无法被移到其他记录。")},
	{Key: "keychain", Name: tx("Master key in the OS keychain", "主密钥存于系统钥匙串"), Text: tx("Or wrapped by a passphrase through Argon2id; a recovery code for a lost machine.", "或以 Argon2id 由口令保护；另有恢复码用于设备丢失的情况。")},
	{Key: "tls", Name: tx("Mutual TLS 1.3", "双向 TLS 1.3"), Text: tx("Each device has its own certificate; the hub's is pinned at enrolment; post-quantum hybrid key exchange.", "每台设备有自己的证书；登记时固定中心服务器证书；使用后量子混合密钥交换。")},
	{Key: "roster", Name: tx("Owner-signed device list", "店主签名的设备清单"), Text: tx("The hub cannot add a device or plant a key; a lost device is revoked and the keys rotated.", "中心服务器无法添加设备或植入密钥；丢失的设备会被吊销并轮换密钥。")},
	{Key: "access", Name: tx("Least privilege", "最小权限"), Text: tx("Access by role and shop, checked inside every operation; break-glass only with a recorded reason; idle lock and lock-out.", "按岗位和门店授权，每项操作内部都会检查；紧急访问必须记录理由；闲置自动锁定及登录失败锁定。")},
	{Key: "audit", Name: tx("Tamper-evident audit trail", "防篡改审计记录"), Text: tx("Hash-chained, keyed (HMAC-SHA-256), copied to the hub and anchored outside the file; every row carries a MAC.", "哈希链加密钥（HMAC-SHA-256），同步到中心服务器并在文件之外锚定；每一行都带有 MAC。")},
	{Key: "backups", Name: tx("Tested backups", "经过验证的备份"), Text: tx("Encrypted, signed manifests, and a restore drill after each backup.", "加密、签名清单，并在每次备份后进行恢复演练。")},
	{Key: "nologs", Name: tx("No personal data in logs", "日志中无个人信息"), Text: tx("Personal values never appear in logs, error messages, file names or at the hub; lookups use blind indexes.", "个人信息从不出现在日志、错误消息、文件名或中心服务器中；查询使用盲索引。")},
}

var rights = []Item{
	{Key: "access", Name: tx("Access", "查阅"), Text: tx("A copy of your data and how it is used (GDPR Art. 15; CCPA right to know, Civ. Code §1798.110; PIPL Art. 45).", "获取您的数据副本及其使用方式（GDPR 第 15 条；CCPA 知情权，《加州民法典》第 1798.110 条；PIPL 第 45 条）。")},
	{Key: "portability", Name: tx("Portability", "可携带"), Text: tx("Your data in a machine-readable file, for you or another business (GDPR Art. 20; PIPL Art. 45(3)).", "以机器可读格式获取您的数据，供您本人或其他企业使用（GDPR 第 20 条；PIPL 第 45 条第三款）。")},
	{Key: "rectification", Name: tx("Rectification", "更正"), Text: tx("Correct what is wrong or incomplete (GDPR Art. 16; CCPA §1798.106; PIPL Art. 46).", "更正错误或补充不完整的信息（GDPR 第 16 条；CCPA 第 1798.106 条；PIPL 第 46 条）。")},
	{Key: "erasure", Name: tx("Erasure", "删除"), Text: tx("Have your data deleted, except what the law makes us keep (GDPR Art. 17; CCPA §1798.105; PIPL Art. 47).", "删除您的数据，法律要求保留的除外（GDPR 第 17 条；CCPA 第 1798.105 条；PIPL 第 47 条）。")},
	{Key: "restriction", Name: tx("Restriction", "限制处理"), Text: tx("Have use of your data paused while a question is settled (GDPR Art. 18; PIPL Art. 44).", "在争议解决前暂停使用您的数据（GDPR 第 18 条；PIPL 第 44 条）。")},
	{Key: "objection", Name: tx("Objection", "反对"), Text: tx("Object to use based on our legitimate interest, and to direct marketing at any time (GDPR Art. 21; PIPL Art. 44).", "反对基于正当利益的处理，并可随时拒绝直接营销（GDPR 第 21 条；PIPL 第 44 条）。")},
	{Key: "withdraw", Name: tx("Withdraw consent", "撤回同意"), Text: tx("As easily as you gave it, for the future (GDPR Art. 7(3); PIPL Art. 15).", "与给予同意一样简便，对之后的处理生效（GDPR 第 7(3) 条；PIPL 第 15 条）。")},
	{Key: "opt-out", Name: tx("Opt out of sale or sharing", "拒绝出售或共享"), Text: tx("We do not sell your personal information or share it for cross-context behavioural advertising; you may still tell us to opt out and we record it (CCPA §1798.120).", "我们不出售您的个人信息，也不为跨情境行为广告而共享；您仍可要求拒绝，我们会予以记录（CCPA 第 1798.120 条）。")},
	{Key: "limit-sensitive", Name: tx("Limit use of sensitive personal information", "限制使用敏感个人信息"), Text: tx("We record sensitive information only with your separate consent, and use it only for the service you asked for (CCPA §1798.121; PIPL Art. 28, 29).", "我们仅在取得您单独同意后记录敏感个人信息，并只用于您要求的服务（CCPA 第 1798.121 条；PIPL 第 28、29 条）。")},
	{Key: "explain", Name: tx("An explanation of our rules", "解释说明"), Text: tx("Ask us to explain how we handle your information (PIPL Art. 48).", "要求我们解释个人信息处理规则（PIPL 第 48 条）。")},
	{Key: "no-discrimination", Name: tx("No discrimination", "不受歧视"), Text: tx("Using these rights never changes your price or service (CCPA §1798.125).", "行使这些权利不会影响您的价格或服务（CCPA 第 1798.125 条）。")},
	{Key: "complain", Name: tx("Complain", "投诉"), Text: tx("To a data-protection authority: in the EU the authority where you live or work (GDPR Art. 77); in California the California Privacy Protection Agency; in China the departments that perform personal-information protection duties (PIPL Art. 65).", "向数据保护机构投诉：在欧盟为您居住或工作地的监管机构（GDPR 第 77 条）；在加州为加州隐私保护局；在中国为履行个人信息保护职责的部门（PIPL 第 65 条）。")},
}

var clocks = []Item{
	{Key: "gdpr", Name: tx("GDPR", "GDPR"), Text: tx("We answer within one month of receiving your request; for complex or many requests by up to two further months, and then we tell you so within the first month (Art. 12(3)).", "我们在收到请求后一个月内答复；如请求复杂或数量较多，可再延长最多两个月，并会在第一个月内告知您（第 12(3) 条）。")},
	{Key: "ccpa", Name: tx("CCPA", "CCPA"), Text: tx("We confirm receipt within 10 business days and answer within 45 calendar days, extendable once by 45 days with notice (11 CCR §7021); we act on an opt-out of sale or sharing within 15 business days (§7026).", "我们在 10 个工作日内确认收到，并在 45 个自然日内答复，经通知可延长一次 45 天（11 CCR §7021）；拒绝出售或共享的请求在 15 个工作日内处理（§7026）。")},
	{Key: "pipl", Name: tx("PIPL", "PIPL"), Text: tx("We act promptly; we answer within 15 working days, and if we refuse we tell you why (Art. 50).", "我们及时处理；在 15 个工作日内答复，如拒绝会说明理由（第 50 条）。")},
}

var decisions = tx("Spoke makes no automated decisions about customers and does no profiling of them (GDPR Art. 22; PIPL Art. 24).",
	"Spoke 不对客户进行自动化决策，也不进行用户画像（GDPR 第 22 条；PIPL 第 24 条）。")
