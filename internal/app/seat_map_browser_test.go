package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/db"
)

// TestSeatMapRefreshOnAPhone opens the registration page of a seated event
// with 2,000 seats on a phone and has another buyer take a seat, then give
// it back: the open map greys the seat out and offers it again by itself.
// Its refresh finds each seat's box without searching the page once per
// seat (that made a refresh of a 10,000-seat map take seconds of a phone's
// time, every three seconds).
func TestSeatMapRefreshOnAPhone(t *testing.T) {
	tab := phoneTab(t)
	b := setup(t, db.SQLite)
	tok := b.signup("Seat Map Page", "owner@seat-map-page.example").Access
	body := validEvent("Arena")
	body["capacity"] = 5000
	ev := b.do("POST", "/v1/events", tok, body)
	b.want(ev, 201, "")
	eid := ev.str("id")
	tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 2000})
	b.want(tt, 201, "")
	var seats []any
	for i := range 2000 {
		seats = append(seats, map[string]any{"section": fmt.Sprintf("S%d", i/500+1), "row": fmt.Sprint(i/25%20 + 1), "number": i%25 + 1, "ticket_type_id": tt.str("id")})
	}
	b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": seats}), 201, "")
	b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
	list := b.do("GET", "/v1/public/events/"+eid+"/seats", "", nil).Body["data"].([]any)
	seatID := list[0].(map[string]any)["id"].(string)

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
			t.Fatalf("waited a minute for %s: %v", what, err)
		}
	}
	box := fmt.Sprintf(`document.querySelector('#seatmap input[value="%s"]')`, seatID)
	run("open the registration page",
		chromedp.Navigate(b.srv.URL+"/e/"+eid+"/register"),
		chromedp.WaitReady(chromedp.ID("seatmap")),
		// Count the page searches from here on.
		chromedp.Evaluate[chromedp.Void](`(function () {
			var q = Element.prototype.querySelector;
			window.seatSearches = 0;
			Element.prototype.querySelector = function () { window.seatSearches++; return q.apply(this, arguments); };
		})()`))

	o := b.do("POST", "/v1/public/events/"+eid+"/orders", "", map[string]any{"buyer": map[string]any{"name": "Other", "email": "other@example.com"}, "seat_ids": []string{seatID}})
	b.want(o, 201, "")
	poll("the taken seat to grey out", box+`.disabled && `+box+`.parentNode.classList.contains("taken")`)
	searches, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.seatSearches`))
	if err != nil {
		t.Fatal(err)
	}
	if searches >= len(list) {
		t.Errorf("a refresh searched the page %d times for %d seats", searches, len(list))
	}

	b.want(b.do("POST", "/v1/orders/"+o.str("id")+"/cancel", tok, nil), 200, "")
	poll("the freed seat to be offered again", `!`+box+`.disabled && !`+box+`.parentNode.classList.contains("taken")`)
}
