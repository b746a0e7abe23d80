package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"spoke/mail"
	"spoke/store"
)

func init() {
	register(command{name: "mail", summary: "the shop's outgoing mail server (owner, manager): show, set, test", run: runMail})
}

const mailUsage = `usage: spoke mail show --as USER [--shop SHOP]
       spoke mail set --as USER [--shop SHOP] --host HOST [--port 587] [--implicit-tls] --from ADDR --from-name NAME
                      [--user LOGIN --smtp-password-file FILE] [--ca-file PEM] [--reply-to ADDR] [--lang en|zh]
                      [--booking LINK] [--unsubscribe-url https://HUB]
       spoke mail test --as USER [--shop SHOP] --to ADDR`

func runMail(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errUsage{mailUsage}
	}
	sub, args := args[0], args[1:]
	var c common
	fs := newFlags("mail "+sub, env, &c, true)
	shop := fs.String("shop", "", "shop name or id (default: yours)")
	host := fs.String("host", "", "SMTP server host name")
	port := fs.Int("port", 0, "SMTP port (default 587, or 465 with --implicit-tls)")
	implicit := fs.Bool("implicit-tls", false, "TLS from the first byte (port 465) instead of STARTTLS")
	from := fs.String("from", "", "the shop's sending address")
	fromName := fs.String("from-name", "", "the shop's name as recipients see it")
	replyTo := fs.String("reply-to", "", "where replies and mailto: unsubscribes go (default: --from)")
	user := fs.String("user", "", "SMTP login")
	pwFile := fs.String("smtp-password-file", "", "file holding the SMTP password (else SPOKE_SMTP_PASSWORD)")
	caFile := fs.String("ca-file", "", "PEM file of a private CA the mail server's certificate comes from")
	lang := fs.String("lang", "en", "letters' language: en or zh")
	booking := fs.String("booking", "", "booking link or phone number put in reminders")
	unsub := fs.String("unsubscribe-url", "", "the hub's public https address for one-click unsubscribes")
	to := fs.String("to", "", "test: the address to send a test message to")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || (sub != "show" && sub != "set" && sub != "test") {
		return errUsage{mailUsage}
	}
	st, ss, shopID, err := c.signInAtShop(ctx, *shop)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "show":
		m, err := ss.MailSettings(ctx, shopID)
		if errors.Is(err, store.ErrNoMailServer) {
			fmt.Fprintln(env.Stdout, "No mail server set: spoke mail set --host ... --from ...")
			return nil
		}
		if err != nil {
			return err
		}
		port := m.Port
		fmt.Fprintf(env.Stdout, "Server:      %s port %d (%s)\n", m.Host, port, map[bool]string{true: "implicit TLS", false: "STARTTLS required"}[m.ImplicitTLS])
		fmt.Fprintf(env.Stdout, "Sender:      %s <%s>\n", m.FromName, m.From)
		fmt.Fprintf(env.Stdout, "Login:       %s (password stored: %s)\n", orDash(m.Username), yesno(m.HasPassword))
		fmt.Fprintf(env.Stdout, "Letters:     %s; booking: %s\n", m.Lang, orDash(m.Booking))
		fmt.Fprintf(env.Stdout, "Unsubscribe: %s\n", map[bool]string{true: m.UnsubscribeBase + "/u/… (one click) and mailto:", false: "mailto: only (no hub address set)"}[m.UnsubscribeBase != ""])
		return nil
	case "set":
		pw, err := c.secret(*pwFile, "SPOKE_SMTP_PASSWORD")
		if err != nil {
			return err
		}
		var ca string
		if *caFile != "" {
			b, err := os.ReadFile(*caFile)
			if err != nil {
				return fmt.Errorf("read --ca-file: %w", err)
			}
			ca = string(b)
		}
		m := store.MailSettings{Settings: mail.Settings{Host: *host, Port: *port, ImplicitTLS: *implicit, Username: *user, Password: pw,
			From: *from, FromName: *fromName, ReplyTo: *replyTo, CACertPEM: ca}, Lang: *lang, Booking: *booking, UnsubscribeBase: *unsub}
		if err := ss.SetMailSettings(ctx, shopID, m); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "Mail server set; every device of the shop sends through it after the next sync")
		return nil
	}
	if *to == "" {
		return errUsage{"usage: spoke mail test --as USER --to ADDR"}
	}
	return mailTest(ctx, env, ss, shopID, *to)
}

// mailTest sends one message with no customer data to check the settings.
func mailTest(ctx context.Context, env Env, ss *store.Session, shopID, to string) error {
	if err := ss.SendTestMail(ctx, shopID, to, mail.SMTP{}); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "Test message accepted by the mail server")
	return nil
}
