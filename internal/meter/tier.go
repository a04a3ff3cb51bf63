package meter

import (
	"time"

	"github.com/usher-events/usher/internal/ratelimit"
	"github.com/usher-events/usher/internal/tenant"
)

// The metrics a tenant's usage is counted in.
const (
	APICalls          = "api_calls"          // authenticated /v1 calls (users and API keys)
	Holds             = "holds"              // orders created (quantities or seats held)
	TicketsIssued     = "tickets_issued"     // tickets of paid orders
	Checkins          = "checkins"           // scans recorded at the gates
	Participations    = "participations"     // campaign entries
	Emails            = "emails"             // email messages recorded (sent, or kept in the development outbox)
	SMS               = "sms"                // text messages recorded
	WebhookDeliveries = "webhook_deliveries" // webhook deliveries answered 2xx
)

// Metrics lists every metric in the order statements show them.
var Metrics = []string{APICalls, Holds, TicketsIssued, Checkins, Participations, Emails, SMS, WebhookDeliveries}

// Currency is the currency of fees, prices and budgets.
const Currency = "KRW"

// Price is what Per units of a metric cost beyond what the tier includes.
type Price struct {
	Amount int64 `json:"amount" doc:"In KRW."`
	Per    int64 `json:"per" doc:"How many units the amount buys."`
}

// Tier is what a plan allows and what it costs.
type Tier struct {
	Name string `json:"name" enum:"basic,professional,enterprise"`
	// RequestsPerSecond and Burst bound the tenant's authenticated API
	// calls; 0 means no limit.
	RequestsPerSecond int              `json:"requests_per_second" doc:"Sustained authenticated API calls per second; 0 is no limit."`
	Burst             int              `json:"burst" doc:"Calls allowed at once above the sustained rate."`
	MonthlyFee        int64            `json:"monthly_fee" doc:"In KRW."`
	Included          map[string]int64 `json:"included" doc:"Units of each metric included in the fee every month."`
	Prices            map[string]Price `json:"prices" doc:"The price of units beyond those included; a metric without a price is not charged."`
}

// limit is the tier's rate limit, and whether it has one.
func (t Tier) limit() (ratelimit.Limit, bool) {
	if t.RequestsPerSecond <= 0 {
		return ratelimit.Limit{}, false
	}
	return ratelimit.Limit{Rate: t.RequestsPerSecond, Period: time.Second, Burst: max(t.Burst, 1)}, true
}

// Tiers are the plans, by name. The figures are the platform's price list;
// an installation that bills differently changes them here.
var Tiers = map[string]Tier{
	"basic": {
		Name: "basic", RequestsPerSecond: 50, Burst: 100, MonthlyFee: 0,
		Included: map[string]int64{APICalls: 100_000, TicketsIssued: 500, Checkins: 2_000, Participations: 1_000,
			Emails: 1_000, SMS: 0, WebhookDeliveries: 10_000},
		Prices: map[string]Price{APICalls: {100, 1_000}, TicketsIssued: {50, 1}, Participations: {10, 1},
			Emails: {5, 1}, SMS: {20, 1}, WebhookDeliveries: {100, 1_000}},
	},
	"professional": {
		Name: "professional", RequestsPerSecond: 500, Burst: 1_000, MonthlyFee: 99_000,
		Included: map[string]int64{APICalls: 2_000_000, TicketsIssued: 10_000, Checkins: 50_000, Participations: 20_000,
			Emails: 20_000, SMS: 1_000, WebhookDeliveries: 200_000},
		Prices: map[string]Price{APICalls: {50, 1_000}, TicketsIssued: {30, 1}, Participations: {5, 1},
			Emails: {3, 1}, SMS: {15, 1}, WebhookDeliveries: {50, 1_000}},
	},
	"enterprise": {
		Name: "enterprise", RequestsPerSecond: 0, MonthlyFee: 990_000,
		Included: map[string]int64{APICalls: 50_000_000, TicketsIssued: 200_000, Checkins: 1_000_000, Participations: 500_000,
			Emails: 500_000, SMS: 20_000, WebhookDeliveries: 5_000_000},
		Prices: map[string]Price{APICalls: {20, 1_000}, TicketsIssued: {15, 1}, Participations: {2, 1},
			Emails: {2, 1}, SMS: {10, 1}, WebhookDeliveries: {20, 1_000}},
	},
}

// TierNames lists the tiers from the smallest: the tenant domain's.
var TierNames = tenant.Tiers
