package web_test

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// postFile sends a multipart form with one file field "proof" of the given
// type, as a browser's file upload does.
func (b *browser) postFile(path string, fields url.Values, name, contentType string, data []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="proof"; filename="`+name+`"`)
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		b.t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// studentOrder makes an event with a ticket type that requires
// verification, and a buyer's order of it; it returns the organizer's and
// the buyer's browsers (in English) and the link to the buyer's order.
func studentOrder(t *testing.T, srv *httptest.Server) (org, buyer *browser, link string) {
	t.Helper()
	org = newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"Student"}, "price": {"9,000"},
		"currency": {"KRW"}, "quota": {"50"}, "min_per_order": {"1"}, "max_per_order": {"1"}, "requires_verification": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add student type: %d\n%s", p.status, p.body)
	}
	buyer = newBrowser(t, srv)
	buyer.lang = "en"
	types := ttRE.FindAllStringSubmatch(buyer.get("/e/"+id+"/register").body, -1)
	if len(types) != 2 {
		t.Fatalf("ticket types on the register page: %v", types)
	}
	p := buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"Han Student"}, "email": {"han@example.com"},
		"phone": {"010-1234-5678"}, "qty_" + types[1][1]: {"1"}})
	if orderLinkRE.FindStringSubmatch(p.location()) == nil {
		t.Fatalf("register: %d to %q", p.status, p.location())
	}
	return org, buyer, p.location()
}

// A student buyer sends the proof from "my tickets"; the organizer sees it on
// the order's page and opens it. Wrong files and forged posts change nothing.
func TestProofPages(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org, buyer, mine := studentOrder(t, srv)
	m := orderLinkRE.FindStringSubmatch(mine)
	oid, key := m[1], m[2]

	p := buyer.get(mine)
	if !strings.Contains(p.body, `enctype="multipart/form-data"`) || !strings.Contains(p.body, `id="proof-file"`) || !strings.Contains(p.text(), "Please send your proof") {
		t.Fatalf("pending order page has no upload form:\n%s", p.body)
	}
	token := csrfToken(t, p.body)
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	action := "/o/" + oid + "/proof"
	if p := buyer.postFile(action, url.Values{"k": {key}}, "id.png", "image/png", img.Bytes()); p.status != http.StatusForbidden {
		t.Errorf("upload without the page's token: %d", p.status)
	}
	if p := buyer.postFile(action, url.Values{"k": {"oak_wrong"}, "csrf_token": {token}}, "id.png", "image/png", img.Bytes()); p.status != http.StatusNotFound {
		t.Errorf("upload with a wrong key: %d", p.status)
	}
	p = buyer.postFile(action, url.Values{"k": {key}, "csrf_token": {token}}, "id.html", "text/html", []byte("<b>hi</b>"))
	if p.status != http.StatusUnsupportedMediaType || !strings.Contains(p.body, `id="proof-file"`) || !strings.Contains(p.body, `aria-invalid="true"`) {
		t.Fatalf("an HTML file: %d\n%s", p.status, p.body)
	}
	if p := org.get("/app/orders/" + oid); !strings.Contains(p.body, `id="order-proof-missing"`) {
		t.Fatalf("the staff page before any proof:\n%s", p.body)
	}

	p = buyer.postFile(action, url.Values{"k": {key}, "csrf_token": {token}}, "id.png", "image/png", img.Bytes())
	if p.status != http.StatusSeeOther || p.location() != mine {
		t.Fatalf("upload: %d to %q\n%s", p.status, p.location(), p.body)
	}
	if p := buyer.get(mine); !strings.Contains(p.body, `id="proof-received"`) || !strings.Contains(p.text(), "Replace it with another file") {
		t.Fatalf("order page after the upload:\n%s", p.body)
	}

	if p := org.get("/app/events/" + orderEvent(t, org, oid) + "/orders?status=pending_verification"); !strings.Contains(p.text(), "Proof sent") {
		t.Errorf("the orders list does not show that the proof came:\n%s", p.text())
	}
	p = org.get("/app/orders/" + oid)
	if !strings.Contains(p.body, `id="order-proof-image"`) || !strings.Contains(p.body, `src="/app/orders/`+oid+`/proof"`) || !strings.Contains(p.text(), "image/png") {
		t.Fatalf("the staff page shows no proof:\n%s", p.body)
	}
	f := org.get("/app/orders/" + oid + "/proof")
	if f.status != http.StatusOK || f.body != img.String() || f.header.Get("Content-Type") != "image/png" ||
		!strings.Contains(f.header.Get("Content-Security-Policy"), "sandbox") || f.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("the proof file: %d %v", f.status, f.header)
	}
	stranger := newBrowser(t, srv)
	stranger.signup("Other Org", "other@example.com")
	if p := stranger.get("/app/orders/" + oid + "/proof"); p.status != http.StatusNotFound {
		t.Errorf("another organization opens the proof: %d", p.status)
	}
	if p := newBrowser(t, srv).get("/app/orders/" + oid + "/proof"); p.status != http.StatusSeeOther {
		t.Errorf("the proof without signing in: %d", p.status)
	}
}

// orderEvent finds the event of an order from its staff page's links.
func orderEvent(t *testing.T, org *browser, orderID string) string {
	t.Helper()
	m := regexp.MustCompile(`href="/app/events/(evt_[A-Za-z0-9]+)/orders"`).FindStringSubmatch(org.get("/app/orders/" + orderID).body)
	if m == nil {
		t.Fatalf("the order page links to no event")
	}
	return m[1]
}
