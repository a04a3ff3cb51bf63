package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/usher-events/usher/internal/job"
)

// SMSProvider sends text messages or KakaoTalk AlimTalk notices. AlimTalk
// sends only templates registered with Kakao beforehand, so the provider
// gets the template code and its variables rather than a finished text.
type SMSProvider interface {
	// SendSMS sends template code with vars to a phone number in E.164
	// form (+821012345678).
	SendSMS(ctx context.Context, to, templateCode string, vars map[string]string) error
}

// HTTPSMS is a provider reached by a JSON POST to a URL, with an API key in
// a header: the shape most Korean SMS and AlimTalk gateways accept, or a
// small relay in front of one.
type HTTPSMS struct {
	// URL receives {"to", "template_code", "vars"}.
	URL string
	// APIKey is sent in Header.
	APIKey string
	// Header names the API key header (default X-API-Key).
	Header string
	// Client makes the requests (default: a client with a 15 s timeout).
	Client *http.Client
}

// smsRequest is the body HTTPSMS posts.
type smsRequest struct {
	To           string            `json:"to"`
	TemplateCode string            `json:"template_code"`
	Vars         map[string]string `json:"vars"`
}

// SendSMS posts one message. A 4xx other than 408 and 429 means the request
// itself is wrong (bad number, unknown template), so retrying cannot help.
func (h *HTTPSMS) SendSMS(ctx context.Context, to, templateCode string, vars map[string]string) error {
	body, err := json.Marshal(smsRequest{To: to, TemplateCode: templateCode, Vars: vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	header := h.Header
	if header == "" {
		header = "X-API-Key"
	}
	req.Header.Set(header, h.APIKey)
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms provider: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return job.Permanent(fmt.Errorf("sms provider answered %s", resp.Status))
	default:
		return fmt.Errorf("sms provider answered %s", resp.Status)
	}
}
