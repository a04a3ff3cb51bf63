package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/bench"
)

// The demo organization's owner; the password is printed, so it is no
// secret, and the demo's data folder is its own.
const (
	demoEmail    = "demo@usher.example"
	demoPassword = "usher-demo-2026"
)

type demoCmd struct {
	Addr    string `help:"Address to listen on." default:"127.0.0.1:8080"`
	DataDir string `help:"Folder for the demo's SQLite file (kept apart from a real one)." default:"./usher-demo-data"`
}

// run serves like `usher serve` on its own data folder and, on first start,
// fills it with a sample organization: a published concert with ticket
// types, a seat map and gates, a customer with points, and a campaign with
// an OX game and a gift. It prints how to sign in and where to look.
func (c *demoCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer, ready func(string)) error {
	a, err := app.New(ctx, app.Config{Addr: c.Addr, DataDir: c.DataDir, Version: version}, log)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- a.Serve(sctx, func(s string) { addrc <- s }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-errc:
		return err
	}
	base := "http://" + addr
	d, err := seedDemo(ctx, base)
	if err != nil {
		stop()
		<-errc
		return fmt.Errorf("demo: %w", err)
	}
	d.print(stdout, base)
	if ready != nil {
		ready(addr)
	}
	return <-errc
}

// demoData is what the demo made (or found).
type demoData struct {
	fresh                 bool
	eventID, campaignID   string
	customerEmail, wallet string
}

func (d *demoData) print(w io.Writer, base string) {
	fmt.Fprintf(w, "Usher demo at %s\n\n", base)
	fmt.Fprintf(w, "  sign in:        %s/login  as %s / %s\n", base, demoEmail, demoPassword)
	if !d.fresh {
		fmt.Fprintf(w, "  (the sample data was made on an earlier start; delete the data folder to start over)\n")
		fmt.Fprintf(w, "  API docs:       %s/docs\n", base)
		return
	}
	fmt.Fprintf(w, "  event page:     %s/e/%s\n", base, d.eventID)
	fmt.Fprintf(w, "  pick seats:     %s/e/%s/register\n", base, d.eventID)
	fmt.Fprintf(w, "  pay with points as %s, wallet code %s\n", d.customerEmail, d.wallet)
	fmt.Fprintf(w, "  campaign:       %s/c/%s?ch=instagram\n", base, d.campaignID)
	fmt.Fprintf(w, "  gate scanner:   %s/scan/\n", base)
	fmt.Fprintf(w, "  API docs:       %s/docs\n", base)
}

// seedDemo makes the sample data through the public API, as an integrator
// would, or signs in when an earlier start already made it.
func seedDemo(ctx context.Context, base string) (*demoData, error) {
	c := bench.NewClient(base, 4)
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	st, err := c.Do(ctx, "POST", "/v1/signup", map[string]any{"organization": "Usher 데모 공연장", "email": demoEmail, "password": demoPassword, "name": "데모 관리자"}, &tokens)
	if err != nil {
		return nil, err
	}
	if st == http.StatusConflict {
		if err := call(ctx, c, "POST", "/v1/auth/login", map[string]any{"email": demoEmail, "password": demoPassword}, &tokens); err != nil {
			return nil, fmt.Errorf("the demo organization exists but its password was changed: %w", err)
		}
		return &demoData{}, nil
	}
	if st != http.StatusCreated {
		return nil, fmt.Errorf("sign up: status %d", st)
	}
	c.Token = tokens.AccessToken
	d := &demoData{fresh: true, customerEmail: "buyer@usher.example"}
	now := time.Now().UTC().Truncate(time.Hour)
	starts := now.Add(30 * 24 * time.Hour)

	var ev, general, vip, school, cus struct {
		ID string `json:"id"`
	}
	steps := []struct {
		method, path string
		body         func() any
		out          any
	}{
		{"POST", "/v1/events", func() any {
			return map[string]any{"name": "Usher 데모 콘서트 2027", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339),
				"timezone": "Asia/Seoul", "venue": "서울 올림픽홀", "capacity": 500}
		}, &ev},
		{"POST", "/v1/events/{event}/ticket-types", func() any {
			return map[string]any{"name": "일반석 General", "price": 55000, "currency": "KRW", "quota": 300,
				"sales_start": now.Add(-time.Hour).Format(time.RFC3339), "sales_end": starts.Add(-time.Hour).Format(time.RFC3339)}
		}, &general},
		{"POST", "/v1/events/{event}/ticket-types", func() any {
			return map[string]any{"name": "VIP", "price": 99000, "currency": "KRW", "quota": 100,
				"sales_start": now.Add(-time.Hour).Format(time.RFC3339), "sales_end": starts.Add(-time.Hour).Format(time.RFC3339)}
		}, &vip},
		{"POST", "/v1/events/{event}/seats", func() any { return map[string]any{"seats": demoSeats(general.ID, vip.ID)} }, nil},
		{"POST", "/v1/events/{event}/publish", nil, nil},
		{"POST", "/v1/events/{event}/gates", func() any { return map[string]any{"name": "정문 Main", "kind": "main"} }, nil},
		{"POST", "/v1/events/{event}/gates", func() any {
			return map[string]any{"name": "VIP 게이트", "kind": "vip", "ticket_type_ids": []string{vip.ID}}
		}, nil},
		{"POST", "/v1/customers", func() any {
			return map[string]any{"email": d.customerEmail, "name": "김데모", "phone": "010-1234-5678"}
		}, &cus},
		{"POST", "/v1/customers/{customer}/wallet/charge", func() any { return map[string]any{"amount": 500000} }, nil},
		{"POST", "/v1/schools", func() any { return map[string]any{"name": "한빛대학교"} }, &school},
		{"POST", "/v1/schools/{school}/departments", func() any { return map[string]any{"name": "컴퓨터공학과"} }, nil},
	}
	for _, s := range steps {
		path := expand(s.path, ev.ID, cus.ID, school.ID)
		var body any
		if s.body != nil {
			body = s.body()
		}
		if err := call(ctx, c, s.method, path, body, s.out); err != nil {
			return nil, err
		}
	}
	d.eventID = ev.ID
	var code struct {
		Code string `json:"code"`
	}
	if err := call(ctx, c, "POST", "/v1/customers/"+cus.ID+"/wallet/access-code", nil, &code); err != nil {
		return nil, err
	}
	d.wallet = code.Code
	var camp struct {
		ID string `json:"id"`
	}
	game := map[string]any{"type": "ox", "gift": "커피 쿠폰", "questions": []any{
		map[string]any{"question": "서울은 대한민국의 수도이다.", "answer": "O"},
		map[string]any{"question": "한글은 세종대왕이 1600년에 만들었다.", "answer": "X"},
	}}
	if err := call(ctx, c, "POST", "/v1/campaigns", map[string]any{"name": "봄 축제 OX 이벤트", "starts_at": now.Add(-time.Hour).Format(time.RFC3339),
		"ends_at": now.Add(14 * 24 * time.Hour).Format(time.RFC3339), "game": game, "approval": "auto"}, &camp); err != nil {
		return nil, err
	}
	if err := call(ctx, c, "POST", "/v1/campaigns/"+camp.ID+"/gifts", map[string]any{"name": "커피 쿠폰", "stock": 50}, nil); err != nil {
		return nil, err
	}
	d.campaignID = camp.ID
	return d, nil
}

// demoSeats is a small hall: two VIP rows in front, four general rows behind.
func demoSeats(general, vip string) []any {
	var seats []any
	for _, row := range []string{"A", "B", "C", "D", "E", "F"} {
		section, tt := "플로어 Floor", general
		if row == "A" || row == "B" {
			section, tt = "VIP", vip
		}
		for n := 1; n <= 10; n++ {
			seats = append(seats, map[string]any{"section": section, "row": row, "number": n, "ticket_type_id": tt})
		}
	}
	return seats
}

func expand(path, event, customer, school string) string {
	return strings.NewReplacer("{event}", event, "{customer}", customer, "{school}", school).Replace(path)
}

func call(ctx context.Context, c *bench.Client, method, path string, body, out any) error {
	st, err := c.Do(ctx, method, path, body, out)
	if err != nil {
		return err
	}
	if st >= 300 {
		return errors.New(method + " " + path + ": status " + fmt.Sprint(st))
	}
	return nil
}
