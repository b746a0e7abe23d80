// Package mail sends a shop's e-mail (service reminders, "your bike is ready", campaigns,
// recall notices) through the shop's own SMTP server with github.com/wneessen/go-mail.
//
// It knows nothing of customers or the store: it gets finished messages and a server's
// settings. TLS is required, always: STARTTLS on the submission port (587) with go-mail's
// TLSMandatory policy, or implicit TLS (465); a server that offers neither is refused before a
// password or an address is sent. Every message carries an RFC 8058 one-click unsubscribe
// (List-Unsubscribe with an https URL at the hub, List-Unsubscribe-Post) where the shop has a
// hub, and a mailto: fallback always. Nothing tracks opens or clicks: no pixel, no redirect.
//
// Errors never carry an address, a name or a message's content: go-mail's errors name
// recipients, so Send maps them to a short reason (see SendError).
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Settings are a shop's SMTP server and sender.
type Settings struct {
	Host        string `json:"host"`
	Port        int    `json:"port"` // 0: 587 (465 with ImplicitTLS)
	ImplicitTLS bool   `json:"implicit_tls,omitempty"`
	Username    string `json:"username,omitempty"`
	Password    string `json:"-"`
	From        string `json:"from"`      // the shop's sending address
	FromName    string `json:"from_name"` // the shop's name as senders see it
	// ReplyTo, when set, is where replies (and mailto: unsubscribes) go; default From.
	ReplyTo string `json:"reply_to,omitempty"`
	// CACertPEM trusts a private mail server's certificate authority in addition to the
	// system's (a shop's own server with an in-house certificate); "" trusts the system's only.
	CACertPEM string `json:"ca_cert_pem,omitempty"`
	// ServerName overrides the name the server's certificate is checked against (default Host).
	ServerName string `json:"server_name,omitempty"`
}

// Validate checks the settings without connecting.
func (s Settings) Validate() error {
	switch {
	case strings.TrimSpace(s.Host) == "" || strings.ContainsAny(s.Host, " /\\@"):
		return errors.New("mail: the SMTP server's host name is missing or malformed")
	case s.Port < 0 || s.Port > 65535:
		return errors.New("mail: the SMTP port must be between 1 and 65535")
	case !validAddress(s.From):
		return errors.New("mail: the sender address is missing or malformed")
	case s.ReplyTo != "" && !validAddress(s.ReplyTo):
		return errors.New("mail: the reply-to address is malformed")
	case len(s.FromName) > 200 || strings.ContainsAny(s.FromName, "\r\n"):
		return errors.New("mail: the sender name is too long or has a line break")
	case s.Username != "" && s.Password == "":
		return errors.New("mail: a user name without a password: give both or neither")
	}
	if s.CACertPEM != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(s.CACertPEM)) {
		return errors.New("mail: the CA certificate is not PEM")
	}
	return nil
}

func validAddress(a string) bool {
	a = strings.TrimSpace(a)
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && len(a) <= 254 && !strings.ContainsAny(a, " \t\r\n<>,;\"")
}

// Message is one e-mail to one recipient.
type Message struct {
	To      string // the recipient's address (never logged, never in an error)
	ToName  string
	Subject string
	Body    string // plain text, UTF-8
	// UnsubscribeURL is the one-click https link at the hub ("" without a hub);
	// UnsubscribeMailto the mailto: fallback ("" builds one to ReplyTo/From with Token).
	UnsubscribeURL    string
	UnsubscribeMailto string
	// Token is the opaque unsubscribe token (for the mailto: subject); "" for mail that
	// has no unsubscribe (a recall notice, a legal obligation).
	Token string
	// Kind is a header value naming what the message is (reminder kind, "campaign", "recall"):
	// business only, for the shop's own filtering (X-Spoke-Kind).
	Kind string
	// Check, when set, runs right before the message is handed to the server: an error
	// (a consent withdrawn while the batch was going out) skips it, and is its result.
	Check func() error
}

// Transport sends messages. SMTP is the real one; tests of one unit may use another.
type Transport interface {
	// Send sends each message and returns one error per message (nil: accepted by the server)
	// and an error when nothing could be sent at all (the server is down, TLS or login failed).
	Send(ctx context.Context, s Settings, msgs []Message) ([]error, error)
}

// SMTP is the Transport that talks to the shop's SMTP server.
type SMTP struct {
	Timeout time.Duration // per connection step; 0: 30 s
	// RootCAs replaces the system's trust store (tests: the loopback server's CA).
	RootCAs *x509.CertPool
}

// ErrNoTLS means the server did not offer STARTTLS (or implicit TLS failed): nothing was sent.
var ErrNoTLS = errors.New("mail: the SMTP server offers no TLS; Spoke sends only over TLS")

// SendError is one message's failure, without its address.
type SendError struct {
	Reason    string // e.g. "the server refused the recipient"
	Temporary bool
}

func (e *SendError) Error() string {
	if e.Temporary {
		return "mail: " + e.Reason + " (temporary: try again later)"
	}
	return "mail: " + e.Reason
}

// Build turns a message into go-mail's form with the shop's sender and headers.
func Build(s Settings, m Message, now time.Time) (*gomail.Msg, error) {
	if !validAddress(m.To) {
		return nil, errors.New("mail: a recipient address is malformed")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: a subject has a line break")
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	// Names are quoted by net/mail (a name with '"' or '\\' still makes one valid address).
	msg.FromMailAddress(&netmail.Address{Name: s.FromName, Address: strings.TrimSpace(s.From)})
	msg.AddToMailAddress(&netmail.Address{Name: m.ToName, Address: strings.TrimSpace(m.To)})
	reply := s.From
	if s.ReplyTo != "" {
		reply = s.ReplyTo
		if err := msg.ReplyTo(s.ReplyTo); err != nil {
			return nil, errors.New("mail: the reply-to address is malformed")
		}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	// The id names the shop's domain, never this machine's host name.
	msg.SetMessageIDWithValue(randomID() + "@" + s.From[strings.LastIndexByte(s.From, '@')+1:])
	if m.Kind != "" {
		msg.SetGenHeader("X-Spoke-Kind", m.Kind)
	}
	mailto := m.UnsubscribeMailto
	if mailto == "" && m.Token != "" {
		mailto = "mailto:" + reply + "?subject=" + url.PathEscape("unsubscribe "+m.Token)
	}
	switch {
	case m.UnsubscribeURL != "":
		var extra []string
		if mailto != "" {
			extra = append(extra, mailto)
		}
		if err := msg.SetListUnsubscribeOneClick(m.UnsubscribeURL, extra...); err != nil {
			return nil, errors.New("mail: the unsubscribe link must be an https URL")
		}
	case mailto != "":
		msg.SetListUnsubscribe(mailto)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// Send sends msgs over one connection to the shop's server.
func (t SMTP) Send(ctx context.Context, s Settings, msgs []Message) ([]error, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	timeout := t.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	roots := t.RootCAs
	if s.CACertPEM != "" {
		if roots == nil {
			sys, err := x509.SystemCertPool()
			if err != nil || sys == nil {
				sys = x509.NewCertPool()
			}
			roots = sys
		} else {
			roots = roots.Clone()
		}
		roots.AppendCertsFromPEM([]byte(s.CACertPEM))
	}
	serverName := s.ServerName
	if serverName == "" {
		serverName = s.Host
	}
	opts := []gomail.Option{
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12}),
		gomail.WithoutSMTPUTF8(),
	}
	port := s.Port
	if s.ImplicitTLS {
		if port == 0 {
			port = 465
		}
		opts = append(opts, gomail.WithSSL(), gomail.WithPort(port))
	} else {
		if port == 0 {
			port = 587
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithPort(port))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, errors.New("mail: the SMTP settings are not usable")
	}
	built := make([]*gomail.Msg, 0, len(msgs))
	errs := make([]error, len(msgs))
	index := make([]int, 0, len(msgs))
	now := time.Now()
	for i, m := range msgs {
		gm, err := Build(s, m, now)
		if err != nil {
			errs[i] = err
			continue
		}
		built = append(built, gm)
		index = append(index, i)
	}
	if len(built) == 0 {
		return errs, nil
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, connectError(err)
	}
	defer c.Close()
	for j, gm := range built {
		if chk := msgs[index[j]].Check; chk != nil {
			if err := chk(); err != nil {
				errs[index[j]] = err
				continue
			}
		}
		if err := c.Send(gm); err != nil {
			var se *gomail.SendError
			if errors.As(err, &se) && (se.Reason == gomail.ErrSMTPMailFrom || se.Reason == gomail.ErrConnCheck || se.Reason == gomail.ErrNoUnencoded) && j == 0 && !gm.IsDelivered() {
				// The server refused the session itself: nothing of this batch will go.
				return nil, connectError(err)
			}
			errs[index[j]] = sendError(err)
		}
	}
	return errs, nil
}

// randomID is a Message-ID's local part: 16 random bytes in hex.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// connectError says why no message could be sent, without an address.
func connectError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "STARTTLS") || strings.Contains(msg, "starttls") || strings.Contains(msg, "TLS") && strings.Contains(msg, "not support"):
		return ErrNoTLS
	case strings.Contains(msg, "certificate") || strings.Contains(msg, "x509") || strings.Contains(msg, "tls:"):
		return errors.New("mail: the SMTP server's TLS certificate is not trusted or not for this host name")
	case strings.Contains(msg, "auth") || strings.Contains(msg, "535") || strings.Contains(msg, "credentials"):
		return errors.New("mail: the SMTP server refused the user name or password")
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "timeout"):
		return errors.New("mail: the SMTP server did not answer in time")
	}
	return fmt.Errorf("mail: cannot reach the SMTP server: %s", redact(msg))
}

// sendError turns go-mail's error for one message into one without its recipients.
func sendError(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		reason := "the server refused the message"
		switch se.Reason {
		case gomail.ErrSMTPRcptTo:
			reason = "the server refused the recipient"
		case gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			reason = "the server refused the message's content"
		case gomail.ErrWriteContent:
			reason = "the message could not be written"
		}
		return &SendError{Reason: reason, Temporary: se.IsTemp()}
	}
	return &SendError{Reason: "the message could not be sent"}
}

// redact keeps only the part of a network error before any '<' or '@' (an address).
func redact(s string) string {
	if i := strings.IndexAny(s, "<@"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}
