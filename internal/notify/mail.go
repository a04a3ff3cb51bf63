package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"
)

// Email is one message to send.
type Email struct {
	To          string
	Subject     string
	Body        string
	Attachments []Attachment
	// MessageID makes a resent message recognisable as the same one.
	MessageID string
}

// Attachment is a file sent with an email.
type Attachment struct {
	Name string
	Data []byte
}

// Mailer sends email.
type Mailer interface {
	SendEmail(ctx context.Context, e Email) error
}

// SMTP sends email through an SMTP server with go-mail.
type SMTP struct {
	host string
	opts []mail.Option
	from string
}

// NewSMTP returns a mailer for a URL such as smtp://user:pass@host:587
// (STARTTLS required), smtp://host:25?tls=opportunistic, smtp://host:2525?tls=none
// (plain, for local test servers) or smtps://user:pass@host:465 (TLS from the
// first byte). from is the sender, as "Name <address>" or an address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, errors.New("smtp url: want smtp://user:pass@host:587 or smtps://…")
	}
	if from == "" {
		return nil, errors.New("smtp: a sender address (--mail-from) is required")
	}
	host := u.Hostname()
	port := 587
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port <= 0 || port > 65535 {
			return nil, fmt.Errorf("smtp url: bad port %q", p)
		}
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(30 * time.Second)}
	if u.Scheme == "smtps" {
		opts = append(opts, mail.WithSSL())
	} else {
		switch tls := u.Query().Get("tls"); tls {
		case "", "mandatory":
			opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		case "opportunistic":
			opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
		case "none":
			opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		default:
			return nil, fmt.Errorf("smtp url: tls must be mandatory, opportunistic or none, not %q", tls)
		}
	}
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(pass))
	}
	// Check the sender once here rather than failing every message later.
	if err := mail.NewMsg().From(from); err != nil {
		return nil, fmt.Errorf("mail from: %w", err)
	}
	return &SMTP{host: host, opts: opts, from: from}, nil
}

// SendEmail sends one message, opening a connection for it: messages are
// sent from background jobs, one at a time per job, so a pool buys little.
func (s *SMTP) SendEmail(ctx context.Context, e Email) error {
	m := mail.NewMsg()
	if err := m.From(s.from); err != nil {
		return err
	}
	if err := m.To(e.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	m.Subject(e.Subject)
	m.SetDate()
	if e.MessageID != "" {
		m.SetMessageIDWithValue(e.MessageID)
	} else {
		m.SetMessageID()
	}
	m.SetBodyString(mail.TypeTextPlain, e.Body)
	for _, a := range e.Attachments {
		m.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType("application/pdf")))
	}
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, m)
}
