package processing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
)

// noticeView is what the notice's template reads.
type noticeView struct {
	Record
	Lang                           Lang
	L                              map[string]string
	Shop                           ShopInfo
	Contact                        string
	Version                        string
	Who                            string
	SourcesIntro, HowIntro, Verify Text
}

// WriteNotice writes the printable privacy notice of the record's one shop in l. contact is
// where to send a request beyond the counter (an address or e-mail of the shop; "" = none).
func (r Record) WriteNotice(w io.Writer, l Lang, contact string) error {
	v, err := r.notice(l, contact)
	if err != nil {
		return err
	}
	b, err := render("notice.html", l, v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// notice is what the notice says, in l, for the record's one shop: the HTML template and the
// printed PDF (PaperNotice) read it alike.
func (r Record) notice(l Lang, contact string) (noticeView, error) {
	if len(r.Shops) != 1 {
		return noticeView{}, errors.New("a privacy notice is for one shop: choose it")
	}
	shop := r.Shops[0]
	v := noticeView{Record: r, Lang: l, L: labels(l), Shop: shop, Contact: strings.TrimSpace(contact), Version: NoticeVersion(),
		SourcesIntro: tx("We get it from you, or from our staff while we serve you:", "这些信息来自您本人，或由员工在为您服务时记录："),
		HowIntro:     tx("Ask at the counter, by phone, or in writing to the shop. There is no charge.", "您可在柜台、通过电话或书面向门店提出请求，不收取费用。"),
		Verify:       tx("Before we answer we check that you are the person the data is about, using details we already hold (for example the e-mail or phone on file). We record each request and answer it within the time limits below. An access request is answered with a copy of your data in an encrypted file whose passphrase we give you separately.", "答复前，我们会利用已有的信息（例如登记的电子邮箱或电话）核实您是该信息所涉及的本人。我们会记录每一项请求，并在下列时限内答复。查阅请求将以加密文件提供您的数据副本，密码另行告知。")}
	v.Who = tx(shop.Name+" is responsible for your personal information.", shop.Name+"负责处理您的个人信息。").In(l)
	keys := map[string]bool{}
	for _, law := range shop.Laws {
		keys[strings.TrimPrefix(law.Key, "uk-")] = true
	}
	var mine []Item
	for _, c := range r.Clocks {
		if keys[c.Key] {
			mine = append(mine, c)
		}
	}
	if len(mine) > 0 {
		v.Clocks = mine
	}
	return v, nil
}

// NoticeVersion names the notice's text: a short hash of everything it states and of its
// template, so a consent recorded "under notice version X" points at one exact text.
func NoticeVersion() string {
	h := sha256.New()
	facts, _ := json.Marshal([]any{purposes, recipients, transfers(""), retention(Options{}), sources, rights, clocks, decisions, erasureLimits, security})
	h.Write(facts)
	tpl, _ := templateFS.ReadFile("templates/notice.html")
	h.Write(tpl)
	keys := make([]string, 0, len(fieldNames))
	for k := range fieldNames {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, _ := json.Marshal(fieldNames[k])
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
