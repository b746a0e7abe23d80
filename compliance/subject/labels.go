package subject

import (
	"spoke/compliance/processing"
	"spoke/store"
)

func t(en, zh string) processing.Text { return processing.Text{En: en, Zh: zh} }

var headings = map[string]processing.Text{
	"title":       t("Your personal data", "您的个人信息"),
	"held":        t("held by", "持有方："),
	"generated":   t("Prepared", "生成时间"),
	"id":          t("Your customer number", "您的客户编号"),
	"intro":       t("This document lists everything the shop's system holds about you, and then what the shop does with it. The same data, machine-readable, is in subject.json beside this file.", "本文件列出门店系统中保存的关于您的全部信息，以及门店如何使用这些信息。同一目录下的 subject.json 以机器可读格式提供相同的数据。"),
	"contact":     t("Contact details", "联系方式"),
	"name":        t("Name", "姓名"),
	"email":       t("E-mail", "电子邮箱"),
	"phone":       t("Phone", "电话"),
	"phonealt":    t("Second phone", "第二个电话"),
	"source":      t("Your customer number in the shop's previous system", "您在门店原系统中的客户编号"),
	"address":     t("Address", "地址"),
	"birthday":    t("Date of birth", "出生日期"),
	"notes":       t("Notes", "备注"),
	"created":     t("Recorded on", "记录日期"),
	"updated":     t("Last changed", "最近修改"),
	"deleted":     t("Deleted on (recoverable for 30 days)", "删除日期（30 天内可恢复）"),
	"bikes":       t("Bikes", "车辆"),
	"bike":        t("Bike", "车辆"),
	"make":        t("Make", "品牌"),
	"model":       t("Model", "型号"),
	"year":        t("Year", "年份"),
	"type":        t("Type", "类型"),
	"size":        t("Frame size", "车架尺寸"),
	"colour":      t("Colour", "颜色"),
	"serial":      t("Serial number", "序列号"),
	"workorders":  t("Repairs and service", "维修保养"),
	"status":      t("Status", "状态"),
	"promised":    t("Promised for", "承诺完成日期"),
	"closed":      t("Closed", "结束日期"),
	"complaint":   t("What you reported", "您描述的问题"),
	"lines":       t("Lines", "明细"),
	"kind":        t("Kind", "类别"),
	"sku":         t("Article", "货号"),
	"description": t("Description", "说明"),
	"qty":         t("Qty", "数量"),
	"unit":        t("Unit price", "单价"),
	"total":       t("Total", "合计"),
	"labour":      t("Labour", "工时"),
	"parts":       t("Parts", "配件"),
	"sales":       t("Purchases", "购买记录"),
	"sold":        t("Date", "日期"),
	"payment":     t("Payment", "支付方式"),
	"none":        t("None.", "无。"),
	"audit":       t("Who used your data", "谁使用了您的数据"),
	"auditintro":  t("Every time staff opened, changed or exported your records, the system recorded it. Staff are named by their role; a break-glass access (opening another salesperson's customer) shows the reason the staff member gave.", "员工每次打开、修改或导出您的记录时，系统都会记录。员工以岗位表示；紧急访问（打开其他销售员的客户）会显示员工给出的理由。"),
	"when":        t("When", "时间"),
	"action":      t("What", "操作"),
	"about":       t("Record", "记录"),
	"by":          t("By", "操作人"),
	"outcome":     t("Outcome", "结果"),
	"fields":      t("Fields", "字段"),
	"reason":      t("Reason", "理由"),
	"expired":     t("(reason expired under the retention rules)", "（理由已按保留规则失效）"),
	"processing":  t("What the shop does with your data", "门店如何使用您的数据"),
	"rights":      t("Your rights", "您的权利"),
	"clocks":      t("How quickly the shop answers", "答复时限"),
}

func labels(l processing.Lang) map[string]string {
	out := map[string]string{}
	for k, v := range headings {
		out[k] = v.In(l)
	}
	return out
}

var roleNames = map[string]processing.Text{
	"owner": t("owner", "店主"), "manager": t("manager", "店长"), "sales": t("salesperson", "销售员"), "mechanic": t("mechanic", "技师"),
	"marketing": t("marketing", "市场人员"), "auditor": t("auditor", "审计员"), "system": t("the system", "系统"), "staff": t("staff", "员工"),
}

var actionNames = map[string]processing.Text{
	"customer.create":           t("record created", "创建记录"),
	"customer.update":           t("record changed", "修改记录"),
	"customer.read":             t("record viewed", "查看记录"),
	"customer.read.break_glass": t("viewed by break-glass, with a reason", "紧急访问查看（附理由）"),
	"customer.delete":           t("record deleted (recoverable)", "删除记录（可恢复）"),
	"bike.create":               t("bike added", "添加车辆"),
	"work_order.create":         t("repair opened", "创建维修单"),
	"work_order.add_line":       t("line added to a repair", "维修单添加明细"),
	"work_order.status":         t("repair status changed", "维修单状态变更"),
	"work_order.assign":         t("repair assigned to a mechanic", "维修单分派给技师"),
	"work_order.print":          t("repair ticket or tag printed", "打印维修单或车牌"),
	"sale.create":               t("purchase recorded", "记录购买"),
	"sale.print":                t("receipt printed", "打印销售单"),
	"subject.export":            t("data exported for you", "为您导出数据"),
	"conflict.restore":          t("a value restored after a sync conflict", "同步冲突后恢复数值"),
}

var statusNames = map[store.Status]processing.Text{
	store.StatusIntake: t("received", "已接收"), store.StatusEstimate: t("estimate", "估价中"), store.StatusApproved: t("approved", "已确认"),
	store.StatusInProgress: t("in progress", "维修中"), store.StatusWaitingParts: t("waiting for parts", "等待配件"), store.StatusReady: t("ready", "可取车"),
	store.StatusCollected: t("collected", "已取车"), store.StatusCancelled: t("cancelled", "已取消"),
}

var aboutNames = map[string]processing.Text{
	"customer": t("your record", "您的记录"), "bike": t("a bike", "车辆"), "work_order": t("a repair", "维修单"), "sale": t("a purchase", "购买记录"),
}

var outcomeNames = map[string]processing.Text{
	"ok": t("done", "完成"), "denied": t("refused", "被拒绝"), "refused": t("refused", "被拒绝"),
}

// words are the enum values the documents show (line kinds, payment methods).
var words = map[string]processing.Text{
	"labour": t("labour", "工时"), "part": t("part", "配件"),
	"card": t("card", "银行卡"), "cash": t("cash", "现金"), "bank_transfer": t("bank transfer", "银行转账"), "gift_card": t("gift card", "礼品卡"),
}
