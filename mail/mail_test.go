package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"

	"spoke/mail"
	"spoke/mail/smtptest"
)

func settings(s *smtptest.Server) mail.Settings {
	return mail.Settings{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: "service@shop.test", FromName: "Ring Road Cycles"}
}

// body decodes a received message's headers and quoted-printable text.
func body(t *testing.T, raw []byte) (*netmail.Message, string) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return m, string(b)
}

// A message goes over STARTTLS with the one-click unsubscribe headers, the Chinese text
// intact, and nothing that tracks.
func TestSendOverSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	subject, text, err := mail.Compose(mail.Letter{Kind: "first_service", Lang: "zh", FirstName: "秋菊", Shop: "环路单车", Bike: "Giant Escape", Due: "2027-01-12",
		Unsubscribe: "https://hub.example/u/TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []mail.Message{{To: "qiuju@example.net", ToName: "秋菊", Subject: subject, Body: text, UnsubscribeURL: "https://hub.example/u/AAAA", Token: "AAAA", Kind: "first_service"}}
	errs, err := mail.SMTP{RootCAs: srv.RootCAs}.Send(context.Background(), settings(srv), msgs)
	if err != nil || errs[0] != nil {
		t.Fatalf("send: %v %v", err, errs)
	}
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].To[0] != "qiuju@example.net" || got[0].From != "service@shop.test" {
		t.Fatalf("received %+v", got)
	}
	m, text2 := body(t, got[0].Data)
	dec := new(mime.WordDecoder)
	subj, _ := dec.DecodeHeader(m.Header.Get("Subject"))
	if subj != "环路单车：您的新车首次保养" {
		t.Fatalf("subject %q", subj)
	}
	if !strings.Contains(text2, "秋菊，您好") || !strings.Contains(text2, "Giant Escape") || !strings.Contains(text2, "我们不会追踪") {
		t.Fatalf("body %q", text2)
	}
	lu := m.Header.Get("List-Unsubscribe")
	if !strings.Contains(lu, "<https://hub.example/u/AAAA>") || !strings.Contains(lu, "<mailto:service@shop.test?subject=unsubscribe%20AAAA>") {
		t.Fatalf("List-Unsubscribe %q", lu)
	}
	if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post %q", m.Header.Get("List-Unsubscribe-Post"))
	}
	if strings.Contains(string(got[0].Data), "<img") || strings.Contains(strings.ToLower(string(got[0].Data)), "text/html") {
		t.Fatal("a message carries HTML (a tracking pixel could hide there)")
	}
}

// The refusals: no TLS offered, an untrusted certificate, a wrong password. None of the
// errors names an address, and nothing reaches the server.
func TestSendRefusals(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{NoTLS: true})
	good := smtptest.Start(t, smtptest.Options{})
	msg := []mail.Message{{To: "leak-canary@example.net", Subject: "x", Body: "y"}}
	cases := []struct {
		name string
		srv  *smtptest.Server
		tr   mail.SMTP
		edit func(*mail.Settings)
		want string
	}{
		{"no STARTTLS", plain, mail.SMTP{RootCAs: plain.RootCAs}, nil, "offers no TLS"},
		{"untrusted certificate", good, mail.SMTP{}, nil, "certificate"},
		{"wrong password", good, mail.SMTP{RootCAs: good.RootCAs}, func(s *mail.Settings) { s.Password = "wrong" }, "user name or password"},
		{"the CA given in the settings", good, mail.SMTP{}, func(s *mail.Settings) { s.CACertPEM = good.CAPEM }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings(c.srv)
			if c.edit != nil {
				c.edit(&s)
			}
			before := len(c.srv.Messages())
			errs, err := c.tr.Send(context.Background(), s, msg)
			if c.want == "" {
				if err != nil || errs[0] != nil {
					t.Fatalf("send: %v %v", err, errs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "leak-canary") || strings.Contains(err.Error(), s.Password) {
				t.Fatalf("the error names an address or the password: %v", err)
			}
			if len(c.srv.Messages()) != before {
				t.Fatal("a message reached the server")
			}
		})
	}
}

// A refused mailbox fails only its own message, and the error does not name it.
func TestSendRefusedRecipient(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	srv.Refuse("gone@example.net")
	msgs := []mail.Message{{To: "gone@example.net", Subject: "a", Body: "a"}, {To: "here@example.net", Subject: "b", Body: "b"}, {To: "not an address", Subject: "c", Body: "c"}}
	errs, err := mail.SMTP{RootCAs: srv.RootCAs}.Send(context.Background(), settings(srv), msgs)
	if err != nil {
		t.Fatal(err)
	}
	var se *mail.SendError
	if !errors.As(errs[0], &se) || strings.Contains(errs[0].Error(), "gone@") || errs[1] != nil || errs[2] == nil || strings.Contains(errs[2].Error(), "not an address") {
		t.Fatalf("errors %v", errs)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "here@example.net" {
		t.Fatalf("received %+v", got)
	}
}

// Values cannot add headers or lines to a subject; a recall has no unsubscribe footer.
func TestComposeTable(t *testing.T) {
	cases := []struct {
		name      string
		l         mail.Letter
		inSubject string
		inBody    []string
		notInBody []string
	}{
		{"header injection", mail.Letter{Kind: "ready", Lang: "en", FirstName: "Ann\r\nBcc: all@example.net", Shop: "Shop\nX", Bike: "Bike", Job: "W-1"}, "Your bike is ready at Shop X",
			[]string{"Hello Ann Bcc: all@example.net,", "job W-1"}, []string{"\nBcc:"}},
		{"recall is not marketing", mail.Letter{Kind: "recall", Lang: "en", FirstName: "Ann", Shop: "S", Bike: "B", Title: "Fork", Reference: "R-9"}, "Safety recall: Fork (R-9)",
			[]string{"law on product safety"}, []string{"To stop these messages"}},
		{"mailto fallback without a hub", mail.Letter{Kind: "yearly_service", Lang: "en", FirstName: "Ann", Shop: "S", Token: "TKN"}, "Time for your bike's yearly service",
			[]string{"\"unsubscribe TKN\"", "do not track"}, nil},
		{"unknown language falls back to English", mail.Letter{Kind: "ebike_check", Lang: "fr", FirstName: "Ann", Shop: "S"}, "Your e-bike's six-monthly check", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, b, err := mail.Compose(c.l)
			if err != nil || s != c.inSubject {
				t.Fatalf("subject %q %v", s, err)
			}
			for _, w := range c.inBody {
				if !strings.Contains(b, w) {
					t.Errorf("body lacks %q: %q", w, b)
				}
			}
			for _, w := range c.notInBody {
				if strings.Contains(b, w) {
					t.Errorf("body has %q: %q", w, b)
				}
			}
		})
	}
	if _, _, err := mail.Compose(mail.Letter{Kind: "nope"}); err == nil {
		t.Fatal("an unknown kind composed")
	}
}

// A name with quotes and a backslash still makes one valid recipient (quoted by net/mail),
// and the Message-ID names the shop's domain, not this machine.
func TestNamesQuotedAndMessageID(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	msgs := []mail.Message{{To: "ann@example.net", ToName: `Ann "Spoke" O\Brien, Jr.`, Subject: "s", Body: "b"}}
	errs, err := mail.SMTP{RootCAs: srv.RootCAs}.Send(context.Background(), settings(srv), msgs)
	if err != nil || errs[0] != nil {
		t.Fatalf("send: %v %v", err, errs)
	}
	m, _ := body(t, srv.Messages()[0].Data)
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ann@example.net" || to[0].Name != `Ann "Spoke" O\Brien, Jr.` {
		t.Fatalf("To %q: %v %v", m.Header.Get("To"), to, err)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasSuffix(id, "@shop.test>") {
		t.Fatalf("Message-ID %q", id)
	}
}
