package mail

import (
	"errors"
	"strings"
)

// Letter is what a message says, before it has an address: the kind of letter, the language,
// and the few values its template names. Values are filled in on the sending device only.
type Letter struct {
	Kind      string // a reminder kind, "ready", "recall"
	Lang      string // "en" or "zh"
	FirstName string
	Shop      string
	Bike      string // make and model
	Due       string // a date, formatted for Lang
	Booking   string // the shop's booking link or phone, "" for none
	Job       string // a work-order number
	Reference string // a recall's reference
	Title     string // a recall's title
	// Unsubscribe is the one-click link ("" for none), UnsubscribeMail the fallback sentence's
	// address (the shop's reply address).
	Unsubscribe     string
	UnsubscribeMail string
	Token           string
}

type template struct{ subject, body string }

// letters are the built-in templates, English and Chinese. {first_name}, {shop}, {bike},
// {due}, {booking}, {job}, {reference}, {title} are replaced; nothing else is interpreted.
var letters = map[string]map[string]template{
	"first_service": {
		"en": {"Your first service at {shop}", "Hello {first_name},\n\nyour {bike} is due for its free first service (around {due}): cables settle and bolts bed in during the first weeks.\n{booking}\nSee you soon,\n{shop}"},
		"zh": {"{shop}：您的新车首次保养", "{first_name}，您好：\n\n您的 {bike} 即将到首次保养时间（约 {due}）：新车骑行几周后，线管和螺丝需要重新调整。\n{booking}\n期待您的光临！\n{shop}"},
	},
	"yearly_service": {
		"en": {"Time for your bike's yearly service", "Hello {first_name},\n\nyour {bike} is due for its yearly service around {due}.\n{booking}\nSee you soon,\n{shop}"},
		"zh": {"{shop}：您的自行车年度保养", "{first_name}，您好：\n\n您的 {bike} 约在 {due} 到年度保养时间。\n{booking}\n期待您的光临！\n{shop}"},
	},
	"ebike_check": {
		"en": {"Your e-bike's six-monthly check", "Hello {first_name},\n\nyour {bike} is due for its battery and drive check around {due}.\n{booking}\nSee you soon,\n{shop}"},
		"zh": {"{shop}：电助力车半年检查", "{first_name}，您好：\n\n您的 {bike} 约在 {due} 需要进行电池和驱动系统检查。\n{booking}\n期待您的光临！\n{shop}"},
	},
	"after_job": {
		"en": {"See you again at {shop}", "Hello {first_name},\n\na year ago we serviced your {bike}. It is time to look at it again (around {due}).\n{booking}\nSee you soon,\n{shop}"},
		"zh": {"{shop}：又到保养时间了", "{first_name}，您好：\n\n一年前我们为您的 {bike} 做了保养，约在 {due} 该再检查一次了。\n{booking}\n期待您的光临！\n{shop}"},
	},
	"ready": {
		"en": {"Your bike is ready at {shop}", "Hello {first_name},\n\nyour {bike} (job {job}) is ready to collect.\n\n{shop}"},
		"zh": {"{shop}：您的自行车已修好", "{first_name}，您好：\n\n您的 {bike}（工单 {job}）已修好，可以来取车了。\n\n{shop}"},
	},
	"recall": {
		"en": {"Safety recall: {title} ({reference})", "Hello {first_name},\n\nthe maker of your {bike} has issued a safety recall: {title} (reference {reference}). Please stop riding it and contact us so we can fix it free of charge.\n{booking}\n{shop}\n\nWe send this notice because the law on product safety requires it; it is not marketing."},
		"zh": {"安全召回：{title}（{reference}）", "{first_name}，您好：\n\n您的 {bike} 的生产商发布了安全召回：{title}（编号 {reference}）。请暂停骑行并联系我们，我们将免费为您处理。\n{booking}\n{shop}\n\n根据产品安全方面的法律义务，我们向您发送此通知，这不是营销信息。"},
	},
}

// footers say why the message came and how to stop it, and that nothing is tracked.
var footers = map[string][2]string{
	"en": {"\n\n--\nYou receive this because you asked {shop} for it. To stop these messages: {unsubscribe}\nWe do not track whether you open this message or follow its links.",
		"reply to this message with the subject \"unsubscribe {token}\""},
	"zh": {"\n\n--\n您收到此邮件是因为您同意接收 {shop} 的此类信息。如需退订：{unsubscribe}\n我们不会追踪您是否打开此邮件或点击其中的链接。",
		"回复本邮件，主题写 \"unsubscribe {token}\""},
}

// Kinds lists the letters there are.
func Kinds() []string {
	out := make([]string, 0, len(letters))
	for k := range letters {
		out = append(out, k)
	}
	return out
}

// Compose fills a letter's template. A recall has no unsubscribe footer (it is a legal
// obligation, not a consented message); everything else has one.
func Compose(l Letter) (subject, body string, err error) {
	byLang, ok := letters[l.Kind]
	if !ok {
		return "", "", errors.New("mail: no letter of that kind")
	}
	lang := l.Lang
	if _, ok := byLang[lang]; !ok {
		lang = "en"
	}
	t := byLang[lang]
	return fill(t.subject, l, lang, true), fill(t.body, l, lang, false) + footer(l, lang), nil
}

// ComposeCustom fills a template someone wrote (a campaign's subject and body): only
// {first_name} and {shop} are replaced, and the unsubscribe footer is always added.
func ComposeCustom(subject, body string, l Letter) (string, string) {
	r := strings.NewReplacer("{first_name}", oneLine(l.FirstName), "{shop}", oneLine(l.Shop))
	lang := l.Lang
	if _, ok := footers[lang]; !ok {
		lang = "en"
	}
	return oneLine(r.Replace(subject)), r.Replace(body) + footer(l, lang)
}

func footer(l Letter, lang string) string {
	if l.Kind == "recall" {
		return ""
	}
	f := footers[lang]
	how := l.Unsubscribe
	if how == "" {
		how = strings.ReplaceAll(f[1], "{token}", l.Token)
	}
	return strings.NewReplacer("{shop}", l.Shop, "{unsubscribe}", how).Replace(f[0])
}

func fill(t string, l Letter, lang string, subject bool) string {
	booking := ""
	if l.Booking != "" {
		booking = "\nBook: " + l.Booking + "\n"
		if lang == "zh" {
			booking = "\n预约：" + l.Booking + "\n"
		}
	}
	r := strings.NewReplacer("{first_name}", oneLine(l.FirstName), "{shop}", oneLine(l.Shop), "{bike}", oneLine(l.Bike),
		"{due}", oneLine(l.Due), "{booking}", booking, "{job}", oneLine(l.Job), "{reference}", oneLine(l.Reference), "{title}", oneLine(l.Title))
	out := r.Replace(t)
	if subject {
		out = oneLine(out)
	}
	return out
}

// oneLine removes line breaks (a value must not add a header or a paragraph).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}
