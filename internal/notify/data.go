package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/tz"
)

// OrderEvent is the payload of "order.created" and "order.paid" as the order
// domain emits it. order.paid carries the event; order.created (written on
// the flash-sale path, kept small) names it by EventID only, and the event
// is read when the message is rendered.
type OrderEvent struct {
	OrderID string    `json:"order_id"`
	EventID string    `json:"event_id"`
	Event   EventInfo `json:"event"`
	Buyer   struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"buyer"`
	Locale   string        `json:"locale"`
	Total    int64         `json:"total"`
	Currency string        `json:"currency"`
	Tickets  []OrderTicket `json:"tickets"`
}

// EventInfo is what order messages show of the event.
type EventInfo struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Timezone string    `json:"timezone"`
	Venue    string    `json:"venue"`
}

// OrderTicket is one ticket of an order event.
type OrderTicket struct {
	ID             string `json:"id"`
	TicketTypeID   string `json:"ticket_type_id"`
	TicketTypeName string `json:"ticket_type_name"`
	AttendeeName   string `json:"attendee_name"`
}

// CancelEvent is the payload of "order.cancelled".
type CancelEvent struct {
	OrderID   string   `json:"order_id"`
	EventID   string   `json:"event_id"`
	TicketIDs []string `json:"ticket_ids"`
}

// ParticipationEvent is the part of "participation.created",
// "participation.result" and "draw.winner" that messages use.
type ParticipationEvent struct {
	ParticipationID     string     `json:"participation_id"`
	ParticipationNumber NumberText `json:"participation_number"`
	CampaignID          string     `json:"campaign_id"`
	CampaignName        string     `json:"campaign_name"`
	Name                string     `json:"name"`
	Phone               string     `json:"phone"`
	Locale              string     `json:"locale"`
	Result              string     `json:"result,omitempty"`
	GiftName            string     `json:"gift_name,omitempty"`
	DrawID              string     `json:"draw_id,omitempty"`
}

// NumberText is a number shown in a message. It reads a JSON number or a
// string: the campaign domain emits participation numbers as integers, and
// a consumer that only took strings refused every participation.created
// event as malformed, so no participant was ever messaged.
type NumberText string

// UnmarshalJSON implements json.Unmarshaler.
func (n *NumberText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = NumberText(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return err
	}
	*n = NumberText(num.String())
	return nil
}

// langOf picks the template language for a locale: English for "en…",
// Korean otherwise (the default audience).
func langOf(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "en") {
		return "en"
	}
	return "ko"
}

// formatTime shows t in the event's time zone, as attendees read it.
func formatTime(t time.Time, zone, lang string) string {
	t = t.In(tz.Location(zone))
	if lang == "ko" {
		return t.Format("2006년 1월 2일 15:04") + " (" + t.Format("MST") + ")"
	}
	return t.Format("Mon, 2 Jan 2006 15:04") + " (" + t.Format("MST") + ")"
}

// formatMoney writes minor units with thousands separators. KRW and JPY have
// no minor unit; other currencies are shown with two decimals.
func formatMoney(amount int64, currency string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	whole, frac := amount, int64(-1)
	switch strings.ToUpper(currency) {
	case "KRW", "JPY", "":
	default:
		whole, frac = amount/100, amount%100
	}
	s := strconv.FormatInt(whole, 10)
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(r)
	}
	if frac >= 0 {
		fmt.Fprintf(&sb, ".%02d", frac)
	}
	if currency != "" {
		sb.WriteString(" " + strings.ToUpper(currency))
	}
	return sb.String()
}

// orderData is what order templates see.
func orderData(o *OrderEvent, lang, baseURL string) map[string]any {
	tickets := make([]map[string]any, 0, len(o.Tickets))
	var links []string
	for _, t := range o.Tickets {
		url := strings.TrimSuffix(baseURL, "/") + "/v1/public/tickets/" + t.ID + "/qr.png"
		tickets = append(tickets, map[string]any{
			"ID": t.ID, "TypeName": t.TicketTypeName, "AttendeeName": t.AttendeeName, "URL": url,
		})
		label := t.TicketTypeName
		if t.AttendeeName != "" {
			label += " (" + t.AttendeeName + ")"
		}
		links = append(links, "- "+label+": "+url)
	}
	return map[string]any{
		"BuyerName":   o.Buyer.Name,
		"EventName":   o.Event.Name,
		"StartsAt":    formatTime(o.Event.StartsAt, o.Event.Timezone, lang),
		"EndsAt":      formatTime(o.Event.EndsAt, o.Event.Timezone, lang),
		"Timezone":    o.Event.Timezone,
		"Venue":       o.Event.Venue,
		"OrderID":     o.OrderID,
		"Total":       formatMoney(o.Total, o.Currency),
		"TicketCount": len(o.Tickets),
		"TicketLinks": strings.Join(links, "\n"),
		"Tickets":     tickets,
	}
}

// participationData is what participation templates see.
func participationData(p *ParticipationEvent) map[string]any {
	return map[string]any{"Name": p.Name, "CampaignName": p.CampaignName, "ParticipationNumber": string(p.ParticipationNumber),
		"Result": p.Result, "GiftName": p.GiftName}
}

// BudgetEvent is the payload of usage.budget_alert.
type BudgetEvent struct {
	Period    string `json:"period"`
	Threshold int    `json:"threshold_percent"`
	Total     int64  `json:"total"`
	Budget    int64  `json:"budget"`
	Currency  string `json:"currency"`
	Tier      string `json:"tier"`
}

// budgetData is what budget alert templates see.
func budgetData(b *BudgetEvent, baseURL string) map[string]any {
	return map[string]any{"Period": b.Period, "Threshold": b.Threshold, "Total": formatMoney(b.Total, b.Currency),
		"Budget": formatMoney(b.Budget, b.Currency), "Tier": b.Tier, "UsageURL": baseURL + "/app/settings/usage?period=" + b.Period}
}

// sampleData is the data of previews and of the check at save time.
func sampleData(kind, lang string) map[string]any {
	if kind == KindBudgetAlert {
		return budgetData(&BudgetEvent{Period: "2026-10", Threshold: 80, Total: 80000, Budget: 100000, Currency: "KRW", Tier: "professional"}, "https://usher.example")
	}
	if slices.Contains(textKinds, kind) {
		p := &ParticipationEvent{Name: "홍길동", CampaignName: "Sample campaign", ParticipationNumber: "A-000123", Result: "success", GiftName: "텀블러"}
		if lang == "en" {
			p.Name = "Alex Kim"
		}
		return participationData(p)
	}
	o := &OrderEvent{OrderID: "ord_sample", Total: 99000, Currency: "KRW", Locale: lang}
	o.Event.Name = "Sample Conference 2026"
	o.Event.StartsAt = time.Date(2026, 10, 15, 1, 0, 0, 0, time.UTC)
	o.Event.EndsAt = o.Event.StartsAt.Add(8 * time.Hour)
	o.Event.Timezone = "Asia/Seoul"
	o.Event.Venue = "COEX Hall A, Seoul"
	o.Buyer.Name = "홍길동"
	if lang == "en" {
		o.Buyer.Name = "Alex Kim"
	}
	o.Tickets = append(o.Tickets, OrderTicket{ID: "tkt_sample", TicketTypeID: "tty_sample", TicketTypeName: "VIP", AttendeeName: o.Buyer.Name})
	return orderData(o, lang, "https://usher.example")
}
